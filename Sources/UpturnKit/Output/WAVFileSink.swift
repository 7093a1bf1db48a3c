import Foundation

/// Writes a mono 16-bit PCM WAV file, streaming, and fills in the sizes on `finish`.
///
/// A regular file is written to a temporary file beside it and renamed over it only when
/// whole: a render that fails (a full disk) leaves the old file as it was, never a broken
/// one. A device or a FIFO (`/dev/stdout`) is written in place.
public final class WAVFileSink: AudioSink {
    public let rate: Int
    public let path: String
    public let blockFrames = 8192
    /// A WAV file's sizes are 32-bit: its sound ends a little before 4 GiB.
    public static let maxDataBytes = Int(UInt32.max) - 36
    private var fd: Int32
    /// Where the sound is written until `finish` renames it to `path` (nil: in place).
    private let temporary: String?
    private var buffer: [UInt8] = []
    private var dataBytes = 0
    private static let bufferLimit = 1 << 18

    /// Refuses, before anything is written, a session longer than a WAV file holds (64).
    public static func checkFits(frames: Int, rate: Int) throws(UpturnError) {
        guard frames * 2 > maxDataBytes else { return }
        throw UpturnError.usage(
            "upturn render: \(DurationText.short(milliseconds: frames / rate * 1000)) at \(rate) Hz is more than a WAV file holds (4 GiB); use a lower --rate")
    }

    public init(path: String, rate: Int) throws(UpturnError) {
        self.path = path
        self.rate = rate
        let existing = try? SystemCall.fileStatus(path)
        if let existing, existing.st_mode & S_IFMT != S_IFREG {
            temporary = nil
        } else {
            temporary = PathText.join(PathText.parent(path), ".\(PathText.lastComponent(path)).upturn-\(getpid()).tmp")
        }
        do throws(Errno) {
            if let temporary {
                try? SystemCall.unlink(temporary)
                fd = try SystemCall.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
            } else {
                fd = try SystemCall.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
            }
        } catch {
            throw UpturnError.system(.cantCreate, "\(path): cannot write", error)
        }
        buffer.reserveCapacity(Self.bufferLimit + 8192)
        buffer += WAVFileSink.header(rate: rate, dataBytes: 0)
    }

    deinit { abort() }

    /// The 44-byte RIFF/WAVE header of a mono 16-bit PCM file.
    public static func header(rate: Int, dataBytes: Int) -> [UInt8] {
        func le32(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 24) & 0xFF)] }
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        var h: [UInt8] = Array("RIFF".utf8) + le32(36 + dataBytes) + Array("WAVE".utf8)
        h += Array("fmt ".utf8) + le32(16) + le16(1) + le16(1) + le32(rate) + le32(rate * 2) + le16(2) + le16(16)
        h += Array("data".utf8) + le32(dataBytes)
        return h
    }

    public func write(_ samples: UnsafeBufferPointer<Int16>, wakeFD: Int32?) throws(UpturnError) -> Int {
        guard fd >= 0 else { throw UpturnError.cantCreate("\(path): already closed") }
        let raw = UnsafeRawBufferPointer(samples)
        guard dataBytes + raw.count <= Self.maxDataBytes else {
            abort()
            throw UpturnError.cantCreate("\(path): a WAV file holds at most 4 GiB of sound; use a lower --rate")
        }
        if UInt16(littleEndian: 1) == 1 {
            buffer.append(contentsOf: raw)
        } else {
            for s in samples { buffer += [UInt8(UInt16(bitPattern: s) & 0xFF), UInt8(UInt16(bitPattern: s) >> 8)] }
        }
        dataBytes += raw.count
        if buffer.count >= Self.bufferLimit { try flush() }
        return samples.count
    }

    public func drop() {}
    public func reopen() throws(UpturnError) {}

    private func flush() throws(UpturnError) {
        do throws(Errno) { try SystemCall.writeAll(fd, buffer) } catch {
            abort()
            throw UpturnError.system(.cantCreate, "\(path): cannot write", error)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    public func pendingFrames() -> Int { 0 }

    public func finish() throws(UpturnError) {
        guard fd >= 0 else { return }
        try flush()
        let descriptor = fd
        fd = -1
        do throws(Errno) {
            try SystemCall.writeAll(descriptor, Self.header(rate: rate, dataBytes: dataBytes), at: 0)
        } catch {
            SystemCall.close(descriptor)
            removeTemporary()
            throw UpturnError.system(.cantCreate, "\(path): cannot write", error)
        }
        // A full disk or a quota may show only at close, on a network file system.
        do throws(Errno) { try SystemCall.closeReporting(descriptor) } catch {
            removeTemporary()
            throw UpturnError.system(.cantCreate, "\(path): cannot write", error)
        }
        guard let temporary else { return }
        do throws(Errno) { try SystemCall.rename(temporary, to: path) } catch {
            removeTemporary()
            throw UpturnError.system(.cantCreate, "\(path): cannot write", error)
        }
    }

    public func abort() {
        if fd >= 0 {
            SystemCall.close(fd)
            fd = -1
            removeTemporary()
        }
    }

    private func removeTemporary() {
        if let temporary { try? SystemCall.unlink(temporary) }
    }
}
