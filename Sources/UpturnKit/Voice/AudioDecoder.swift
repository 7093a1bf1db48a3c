import CSndFile
import Foundation

/// Decoded audio: mono float samples at the file's own rate.
public struct DecodedAudio: Sendable {
    public var samples: [Float]
    public var rate: Int
}

/// Decodes any format libsndfile reads (WAV, FLAC, Ogg Vorbis, MP3 where supported) from
/// memory, downmixing to mono. The C calls are `sf_open_virtual` and `sf_readf_float`.
public enum AudioDecoder {
    /// The largest audio file a cue or sound may be.
    public static let maxFileBytes = 64 * 1024 * 1024
    /// The longest a cue or sound may play.
    public static let maxSeconds = 10 * 60
    /// However high the rate, at most this many frames (ten minutes at 48 kHz).
    public static let maxFrames = 10 * 60 * 48_000

    public static func decode(file path: String) throws(UpturnError) -> DecodedAudio {
        let bytes = try FileBytes.read(path, limit: maxFileBytes, what: "audio file")
        return try decode(bytes, name: path)
    }

    public static func decode(_ bytes: [UInt8], name: String) throws(UpturnError) -> DecodedAudio {
        guard !bytes.isEmpty else { throw UpturnError.data("\(name): the audio file is empty") }
        let source = MemorySource(bytes)
        let unmanaged = Unmanaged.passRetained(source)
        defer { unmanaged.release() }
        var io = SF_VIRTUAL_IO(
            get_filelen: { user in Unmanaged<MemorySource>.fromOpaque(user!).takeUnretainedValue().length },
            seek: { offset, whence, user in
                Unmanaged<MemorySource>.fromOpaque(user!).takeUnretainedValue().seek(offset, whence)
            },
            read: { pointer, count, user in
                Unmanaged<MemorySource>.fromOpaque(user!).takeUnretainedValue().read(pointer, count)
            },
            write: { _, _, _ in 0 },
            tell: { user in Unmanaged<MemorySource>.fromOpaque(user!).takeUnretainedValue().position })
        var info = SF_INFO()
        guard let file = sf_open_virtual(&io, Int32(SFM_READ), &info, unmanaged.toOpaque()) else {
            let reason = String(cString: sf_strerror(nil))
            throw UpturnError.data("\(name): not a readable audio file (\(reason))")
        }
        defer { sf_close(file) }
        let channels = Int(info.channels)
        let rate = Int(info.samplerate)
        guard channels >= 1 && channels <= 64 else {
            throw UpturnError.data("\(name): \(channels) channels is not a usable audio file")
        }
        guard rate >= 4000 && rate <= 768_000 else {
            throw UpturnError.data("\(name): a sample rate of \(rate) Hz is not usable (4000 to 768000)")
        }
        guard info.frames > 0 else { throw UpturnError.data("\(name): the audio file holds no sound") }
        let limit = min(maxSeconds * rate, maxFrames)
        guard info.frames <= Int64(limit) else {
            throw UpturnError.data("\(name): longer than \(maxSeconds / 60) minutes; a cue should be short")
        }
        var mono = readMono(file, channels: channels, claimed: Int(info.frames), limit: limit)
        if sf_error(file) != 0 && mono.isEmpty {
            throw UpturnError.data("\(name): cannot decode the audio (\(String(cString: sf_strerror(file))))")
        }
        guard !mono.isEmpty else { throw UpturnError.data("\(name): the audio file is truncated; no sound could be read") }
        // Corrupt files can decode to NaN or wild values; keep every sample a number in range.
        for i in mono.indices where !(mono[i].isFinite) { mono[i] = 0 }
        return DecodedAudio(samples: mono, rate: rate)
    }
}

extension AudioDecoder {
    /// Every frame of an open file, downmixed, up to a little past `limit`.
    fileprivate static func readMono(_ file: OpaquePointer, channels: Int, claimed: Int, limit: Int) -> [Float] {
        var mono = [Float]()
        // The header's length is a claim, not a fact: a corrupt file may promise far more.
        mono.reserveCapacity(min(claimed, 1 << 20))
        var block = [Float](repeating: 0, count: 4096 * channels)
        while mono.count <= limit {
            let got = block.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, 4096) }
            if got <= 0 { break }
            let n = Int(got)
            if channels == 1 {
                mono.append(contentsOf: block[0..<n])
            } else {
                let scale = 1 / Float(channels)
                for frame in 0..<n {
                    var sum: Float = 0
                    for c in 0..<channels { sum += block[frame * channels + c] }
                    mono.append(sum * scale)
                }
            }
        }
        return mono
    }
}

/// A read-only file in memory for libsndfile's virtual I/O.
private final class MemorySource {
    let bytes: [UInt8]
    var position: sf_count_t = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var length: sf_count_t { sf_count_t(bytes.count) }

    func seek(_ offset: sf_count_t, _ whence: Int32) -> sf_count_t {
        let base: sf_count_t
        switch whence {
        case SEEK_CUR: base = position
        case SEEK_END: base = length
        default: base = 0
        }
        let target = base + offset
        guard target >= 0 && target <= length else { return -1 }
        position = target
        return position
    }

    func read(_ pointer: UnsafeMutableRawPointer?, _ count: sf_count_t) -> sf_count_t {
        guard let pointer, count > 0, position < length else { return 0 }
        let n = min(count, length - position)
        bytes.withUnsafeBytes { raw in
            pointer.copyMemory(from: raw.baseAddress! + Int(position), byteCount: Int(n))
        }
        position += n
        return n
    }
}

/// A file read as it plays, in chunks of mono float frames (music under the voice): nothing
/// is decoded ahead, so memory stays flat however long the track. The C calls are `sf_open`,
/// `sf_readf_float` and `sf_seek`.
final class AudioFileStream {
    let rate: Int
    let channels: Int
    private var file: OpaquePointer?
    private var interleaved: [Float] = []

    init(path: String, what: String) throws(UpturnError) {
        // A FIFO or a device (/dev/urandom) is refused before libsndfile waits on it or reads
        // it for good; libsndfile reads the descriptor checked.
        let (fd, _) = try FileBytes.openRegularFile(path, what: what)
        var info = SF_INFO()
        guard let handle = sf_open_fd(fd, Int32(SFM_READ), &info, 1) else {
            let reason = String(cString: sf_strerror(nil))
            throw UpturnError.data("\(path): not a readable audio file (\(reason))")
        }
        guard info.channels >= 1 && info.channels <= 64, info.samplerate >= 4000 && info.samplerate <= 768_000, info.frames > 0 else {
            sf_close(handle)
            throw UpturnError.data("\(path): not a usable \(what) file (\(info.channels) channels, \(info.samplerate) Hz, \(info.frames) frames)")
        }
        file = handle
        channels = Int(info.channels)
        rate = Int(info.samplerate)
    }

    deinit {
        if let file { sf_close(file) }
    }

    /// Up to `count` frames, downmixed to mono and appended to `output` (a non-number read
    /// from a damaged file is 0); how many were read, 0 at the end.
    func read(_ count: Int, appendingTo output: inout [Float]) -> Int {
        guard let file else { return 0 }
        if interleaved.count < count * channels { interleaved = [Float](repeating: 0, count: count * channels) }
        let got = Int(interleaved.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(count)) })
        guard got > 0 else { return 0 }
        let scale = 1 / Float(channels)
        for frame in 0..<got {
            var sum: Float = 0
            for c in 0..<channels { sum += interleaved[frame * channels + c] }
            let value = sum * scale
            output.append(value.isFinite ? value : 0)
        }
        return got
    }

    /// Back to the first frame (a looped track).
    func rewind() {
        guard let file else { return }
        sf_seek(file, 0, SEEK_SET)
    }
}
