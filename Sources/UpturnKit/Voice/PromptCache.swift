import Foundation
import Synchronization

/// Finished clips on disk, named by a hash of everything that makes them (engine version,
/// voice, rate, pitch, text, session rate), so a second run synthesizes nothing.
///
/// A file holds its full key, so a hash collision or a torn file is a miss, never wrong audio;
/// its header is sealed by a hash of the key, the length and the samples' checksum, so a
/// length is never read from a damaged header (issue 18: one that claimed half its frames cut
/// "Slowly return upright" in half for good).
/// Files are written to a temporary name and renamed, so readers never see half a file.
public final class PromptCache: Sendable {
    public let folder: String
    private static let magic: [UInt8] = Array("UPTURN-CLIP-3\n".utf8)

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
            try FileBytes.makePrivateFolder(folder)
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

    /// The header of a clip file: magic, key length, key, frame count, a checksum of the
    /// sample bytes (FNV-1a), and a seal over all of these, so a damaged file is a miss,
    /// never noise, a six-hour clip or a clip cut short.
    private struct Header {
        var frames: Int
        var checksum: UInt64
        static func size(key: [UInt8]) -> Int { PromptCache.magic.count + 4 + key.count + 4 + 8 + 8 }

        /// The seal: FNV-1a over the header's bytes before it.
        static func seal(_ bytes: ArraySlice<UInt8>) -> UInt64 {
            var hash = StableHash()
            hash.combine(bytes)
            return hash.value
        }
    }

    /// Opens the clip file and reads its header; nil when it is missing, for another key, or
    /// its size does not match the frames it claims (a flipped bit in the length).
    private func open(_ key: String) -> (fd: Int32, header: Header)? {
        guard let (fd, size) = try? FileBytes.openRegularFile(path(for: key), what: "a clip") else { return nil }
        let keyBytes = Array(key.utf8)
        var bytes = [UInt8](repeating: 0, count: Header.size(key: keyBytes))
        let m = Self.magic.count
        guard Self.readFully(fd, &bytes), Array(bytes[0..<m]) == Self.magic, Self.readUInt32(bytes, at: m) == keyBytes.count,
            Array(bytes[(m + 4)..<(m + 4 + keyBytes.count)]) == keyBytes
        else {
            SystemCall.close(fd)
            return nil
        }
        let frames = Int(Self.readUInt32(bytes, at: m + 4 + keyBytes.count))
        let checksum = Self.readUInt64(bytes, at: m + 8 + keyBytes.count)
        let sealed = bytes.count - 8
        guard size == bytes.count + frames * 2, Self.readUInt64(bytes, at: sealed) == Header.seal(bytes[..<sealed]) else {
            SystemCall.close(fd)
            return nil
        }
        return (fd, Header(frames: frames, checksum: checksum))
    }

    /// The clip's length in frames, reading only the file's header (sealed: a damaged one is
    /// a miss).
    public func length(for key: String) -> Int? {
        guard let (fd, header) = open(key) else { return nil }
        SystemCall.close(fd)
        return header.frames
    }

    /// The clip's samples, or nil when it is not cached or the file is damaged (then it is
    /// removed, and made again). Reads straight into the sample array: no second copy.
    public func samples(for key: String) -> [Int16]? {
        guard let (fd, header) = open(key) else { return nil }
        defer { SystemCall.close(fd) }
        var samples = [Int16](repeating: 0, count: header.frames)
        let checksum = samples.withUnsafeMutableBytes { raw -> UInt64? in
            guard SystemCall.readFully(fd, into: raw) else { return nil }
            return Self.checksum(UnsafeRawBufferPointer(raw))
        }
        guard checksum == header.checksum else {
            try? SystemCall.unlink(path(for: key))
            return nil
        }
        if UInt16(littleEndian: 1) != 1 {
            for i in samples.indices { samples[i] = Int16(littleEndian: samples[i]) }
        }
        return samples
    }

    /// FNV-1a over the sample bytes as stored (little-endian).
    private static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = StableHash()
        hash.combine(bytes)
        return hash.value
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
        var body: [UInt8] = []
        body.reserveCapacity(samples.count * 2)
        for sample in samples {
            let v = UInt16(bitPattern: sample)
            body.append(UInt8(v & 0xFF))
            body.append(UInt8(v >> 8))
        }
        let checksum = body.withUnsafeBytes { Self.checksum($0) }
        Self.appendUInt64(checksum, to: &bytes)
        Self.appendUInt64(Header.seal(bytes[...]), to: &bytes)
        bytes += body
        let final = path(for: key)
        let temporary = final + ".\(getpid()).tmp"
        // The cue texts are the user's: 0600, in a folder of mode 0700.
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else { return }
        do throws(Errno) { try SystemCall.rename(temporary, to: final) } catch { try? SystemCall.unlink(temporary) }
    }

    private static func readUInt32(_ bytes: [UInt8], at i: Int) -> UInt32 {
        UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
    }

    private static func readUInt64(_ bytes: [UInt8], at i: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) }
    }

    private static func appendUInt64(_ v: UInt64, to bytes: inout [UInt8]) {
        for i in 0..<8 { bytes.append(UInt8((v >> (8 * UInt64(i))) & 0xFF)) }
    }

    private static func appendUInt32(_ v: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }
}
