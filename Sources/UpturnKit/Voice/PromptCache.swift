import Foundation
import Synchronization

/// Finished clips on disk, named by a hash of everything that makes them (engine version,
/// voice, rate, pitch, text, session rate), so a second run synthesizes nothing.
///
/// A file holds its full key, so a hash collision or a torn file is a miss, never wrong audio.
/// Files are written to a temporary name and renamed, so readers never see half a file.
public final class PromptCache: @unchecked Sendable {
    public let folder: String
    private static let magic: [UInt8] = Array("UPTURN-CLIP-1\n".utf8)

    /// `$XDG_CACHE_HOME/upturn`, or `~/.cache/upturn`.
    public static var defaultFolder: String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/upturn" }
        let home = env["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/upturn"
    }

    /// Nil when the folder cannot be made or written (the caller then keeps clips in memory);
    /// the first time in a process, a one-line warning on stderr says so and why.
    public init?(folder: String = PromptCache.defaultFolder) {
        self.folder = folder
        do throws(Errno) {
            try FileBytes.makeFolders(folder)
            try SystemCall.checkAccess(folder, W_OK)
        } catch {
            if !Self.warned.exchange(true, ordering: .relaxed) {
                StandardError.write("upturn: warning: \(folder): cannot keep spoken cues there (\(error)); they are made again on every run")
            }
            return nil
        }
    }

    private static let warned = Atomic<Bool>(false)

    func path(for key: String) -> String { folder + "/" + StableHash.hex(of: key) + ".clip" }

    /// The clip's length in frames, reading only the file's header.
    public func length(for key: String) -> Int? {
        guard let fd = try? FileBytes.openRegularFile(path(for: key), what: "a clip").fd else { return nil }
        defer { SystemCall.close(fd) }
        let keyBytes = Array(key.utf8)
        var header = [UInt8](repeating: 0, count: Self.magic.count + 8 + keyBytes.count)
        guard Self.readFully(fd, &header) else { return nil }
        return parseHeader(header, key: keyBytes)
    }

    private func parseHeader(_ bytes: [UInt8], key: [UInt8]) -> Int? {
        let m = Self.magic.count
        guard bytes.count >= m + 8 + key.count, Array(bytes[0..<m]) == Self.magic else { return nil }
        let keyLength = Self.readUInt32(bytes, at: m)
        guard keyLength == key.count, Array(bytes[(m + 4)..<(m + 4 + key.count)]) == key else { return nil }
        return Int(Self.readUInt32(bytes, at: m + 4 + key.count))
    }

    /// The clip's samples, or nil when it is not cached (or the file is damaged).
    /// Reads straight into the sample array: no second copy of a long clip in memory.
    public func samples(for key: String) -> [Int16]? {
        guard let fd = try? FileBytes.openRegularFile(path(for: key), what: "a clip").fd else { return nil }
        defer { SystemCall.close(fd) }
        let keyBytes = Array(key.utf8)
        let headerSize = Self.magic.count + 8 + keyBytes.count
        var header = [UInt8](repeating: 0, count: headerSize)
        guard Self.readFully(fd, &header), let frames = parseHeader(header, key: keyBytes) else { return nil }
        guard let info = try? SystemCall.fileStatus(fd), Int(info.st_size) == headerSize + frames * 2 else { return nil }
        var samples = [Int16](repeating: 0, count: frames)
        let ok = samples.withUnsafeMutableBytes { raw in SystemCall.readFully(fd, into: raw) }
        guard ok else { return nil }
        if UInt16(littleEndian: 1) != 1 {
            for i in samples.indices { samples[i] = Int16(littleEndian: samples[i]) }
        }
        return samples
    }

    private static func readFully(_ fd: Int32, _ bytes: inout [UInt8]) -> Bool {
        bytes.withUnsafeMutableBytes { SystemCall.readFully(fd, into: $0) }
    }

    /// Stores a clip; a failure to write only costs a later re-synthesis.
    public func store(_ samples: [Int16], for key: String) {
        let keyBytes = Array(key.utf8)
        var bytes = Self.magic
        Self.appendUInt32(UInt32(keyBytes.count), to: &bytes)
        bytes += keyBytes
        Self.appendUInt32(UInt32(samples.count), to: &bytes)
        bytes.reserveCapacity(bytes.count + samples.count * 2)
        for sample in samples {
            let v = UInt16(bitPattern: sample)
            bytes.append(UInt8(v & 0xFF))
            bytes.append(UInt8(v >> 8))
        }
        let final = path(for: key)
        let temporary = final + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else { return }
        if rename(temporary, final) != 0 { unlink(temporary) }
    }

    private static func readUInt32(_ bytes: [UInt8], at i: Int) -> UInt32 {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }

    private static func appendUInt32(_ v: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }
}
