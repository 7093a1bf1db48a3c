import Glibc

/// A raw file a tuning switch writes to (`UPTURN_VOICE_DUMP`, `UPTURN_LISTEN_CLEANED`):
/// made once, written through `SystemCall`. A file that cannot be made is one warning and no
/// dump, never a trap mid-session; a write that fails is dropped.
public final class RawDump: Sendable {
    private let fd: Int32

    /// The dump at `path`, or nil (with the warning, naming `variable`).
    public init?(path: String, variable: String) {
        do throws(Errno) {
            fd = try SystemCall.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        } catch {
            StandardError.write("upturn: warning: \(variable): \(TerminalText.safe(path)): cannot write it (\(error)); not dumping")
            return nil
        }
    }

    deinit { SystemCall.close(fd) }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        try? SystemCall.writeAll(fd, bytes)
    }
}
