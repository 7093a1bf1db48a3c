import Foundation

/// Reads whole files with the errors a user should see: missing or unreadable is exit 66,
/// too large is exit 65, each naming the file.
public enum FileBytes {
    /// Makes a folder and the folders above it (`mkdir -p`); the error says why in the
    /// system's words ("Permission denied").
    public static func makeFolders(_ path: String, mode: mode_t = 0o755) throws(Errno) {
        if let info = try? SystemCall.fileStatus(path) {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw .notDirectory }
            return
        }
        let parent = PathText.parent(path)
        if !parent.isEmpty && parent != path { try makeFolders(parent, mode: mode) }
        do throws(Errno) { try SystemCall.mkdir(path, mode: mode) } catch where error == .fileExists {}
    }

    /// Makes a folder of the user's own data (the history, the prompt cache) and the folders
    /// above it with mode 0700, as the XDG base directory rules ask; the folder itself, when
    /// an older version made it open to others, is closed (issue 18: other users read the
    /// sessions and the cue texts).
    public static func makePrivateFolder(_ path: String) throws(Errno) {
        try makeFolders(path, mode: 0o700)
        guard let info = try? SystemCall.linkStatus(path), info.st_uid == getuid(), info.st_mode & 0o077 != 0 else { return }
        SystemCall.chmod(path, info.st_mode & 0o700)
    }

    /// Opens a regular file for reading (links followed). A FIFO, a device or a socket is
    /// refused before anything waits on it: opening is non-blocking, and the kind is checked
    /// on the descriptor opened, so it cannot change in between. The error says why.
    public static func openRegularFile(_ path: String, what: String) throws(UpturnError) -> (fd: Int32, size: Int) {
        let fd: Int32
        do throws(Errno) { fd = try SystemCall.open(path, O_RDONLY | O_NONBLOCK) } catch {
            throw UpturnError.system(.noInput, "\(path): cannot read \(what)", error)
        }
        let info: stat
        do throws(Errno) { info = try SystemCall.fileStatus(fd) } catch {
            SystemCall.close(fd)
            throw UpturnError.system(.noInput, "\(path): cannot read \(what)", error)
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            SystemCall.close(fd)
            let name = kind == S_IFDIR ? "a folder" : kind == S_IFIFO ? "a FIFO" : kind == S_IFSOCK ? "a socket" : "a device"
            throw UpturnError.noInput("\(path): cannot read \(what): it is \(name), not a file")
        }
        SystemCall.setBlocking(fd)
        return (fd, Int(info.st_size))
    }

    public static func read(_ path: String, limit: Int, what: String) throws(UpturnError) -> [UInt8] {
        var bytes: [UInt8] = []
        try forEachChunk(path, limit: limit, what: what) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Calls `body` with each line of a file (without its newline), read 64 KB at a time:
    /// a large file (a 3.5 MB dictionary) is read in flat memory, never whole. A file over
    /// `limit` bytes is refused before a line is read.
    public static func forEachLine(_ path: String, limit: Int, what: String, _ body: (ArraySlice<UInt8>) -> Void) throws(UpturnError) {
        var pending: [UInt8] = []
        try forEachChunk(path, limit: limit, what: what) { chunk in
            var start = chunk.startIndex
            while let end = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if pending.isEmpty {
                    body(chunk[start..<end])
                } else {
                    pending.append(contentsOf: chunk[start..<end])
                    body(pending[...])
                    pending.removeAll(keepingCapacity: true)
                }
                start = end + 1
            }
            pending.append(contentsOf: chunk[start...])
        }
        if !pending.isEmpty { body(pending[...]) }
    }

    /// Reads a regular file 64 KB at a time; a file over `limit` bytes (said by its size, or
    /// found growing past it) is refused.
    static func forEachChunk(_ path: String, limit: Int, what: String, _ body: (ArraySlice<UInt8>) -> Void) throws(UpturnError) {
        let (fd, size) = try openRegularFile(path, what: what)
        defer { SystemCall.close(fd) }
        if size > limit {
            throw UpturnError.data("\(path): \(what) is larger than \(limit / 1024 / 1024) MB")
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        var total = 0
        while true {
            let n: Int
            do throws(Errno) { n = try SystemCall.read(fd, into: &chunk) } catch {
                throw UpturnError.system(.noInput, "\(path): cannot read \(what)", error)
            }
            if n == 0 { break }
            total += n
            if total > limit { throw UpturnError.data("\(path): \(what) is larger than \(limit / 1024 / 1024) MB") }
            body(chunk[0..<n])
        }
    }
}
