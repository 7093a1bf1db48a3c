import CSampleRate
import CSndFile
import Foundation

/// Background music under the voice: streamed from a file in any format libsndfile reads,
/// downmixed, resampled with libsamplerate as it plays, looped or not, at a set level.
/// The renderer ducks it under every cue. Nothing is decoded ahead: memory stays flat.
public final class MusicBed {
    public let path: String
    public let rate: Int
    public let loop: Bool
    /// The music's gain, and its gain while ducked under a cue (both linear).
    public let level: Float
    public let duckedLevel: Float

    private var file: OpaquePointer?
    private let channels: Int
    private var converter: OpaquePointer?
    private let ratio: Double
    private var input: [Float] = []
    private var inputOffset = 0
    private var endOfFile = false
    private var finished = false
    private var output: [Float] = []
    private var outputOffset = 0
    private var raw: [Float]
    private static let chunk = 4096

    public init(path: String, rate: Int, levelDB: Double, duckDB: Double, loop: Bool) throws(UpturnError) {
        self.path = path
        self.rate = rate
        self.loop = loop
        level = Float(pow(10, levelDB / 20))
        duckedLevel = Float(pow(10, (levelDB + duckDB) / 20))
        var info = SF_INFO()
        guard let handle = sf_open(path, Int32(SFM_READ), &info) else {
            let reason = String(cString: sf_strerror(nil))
            if !FileManager.default.fileExists(atPath: path) { throw UpturnError.noInput("\(path): cannot read music: no such file") }
            throw UpturnError.data("\(path): not a readable audio file (\(reason))")
        }
        guard info.channels >= 1 && info.channels <= 64, info.samplerate >= 4000 && info.samplerate <= 768_000, info.frames > 0 else {
            sf_close(handle)
            throw UpturnError.data("\(path): not a usable music file (\(info.channels) channels, \(info.samplerate) Hz, \(info.frames) frames)")
        }
        file = handle
        channels = Int(info.channels)
        ratio = Double(rate) / Double(info.samplerate)
        raw = [Float](repeating: 0, count: Self.chunk * channels)
        var error: Int32 = 0
        converter = src_new(Int32(SRC_SINC_MEDIUM_QUALITY), 1, &error)
        guard converter != nil else {
            sf_close(handle)
            throw UpturnError.internalError("cannot start the resampler: \(String(cString: src_strerror(error)))")
        }
    }

    deinit {
        if let file { sf_close(file) }
        if let converter { src_delete(converter) }
    }

    /// Reads the next chunk of the file as mono; at the end, loops or marks the end.
    private func readInput() {
        guard let file, !endOfFile else { return }
        var got = raw.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(Self.chunk)) }
        if got <= 0 && loop {
            sf_seek(file, 0, SEEK_SET)
            got = raw.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(Self.chunk)) }
        }
        guard got > 0 else {
            endOfFile = true
            return
        }
        input.removeFirst(inputOffset)
        inputOffset = 0
        let scale = 1 / Float(channels)
        for frame in 0..<Int(got) {
            var sum: Float = 0
            for c in 0..<channels { sum += raw[frame * channels + c] }
            let value = sum * scale
            input.append(value.isFinite ? value : 0)
        }
    }

    /// Produces more resampled output, in fixed-size steps so the result does not depend on
    /// how many frames are asked for at a time (play equals render, sample for sample).
    private func produce() {
        if input.count - inputOffset < Self.chunk { readInput() }
        output.removeFirst(outputOffset)
        outputOffset = 0
        let available = input.count - inputOffset
        let capacity = Int(Double(Self.chunk) * ratio) + 64
        var out = [Float](repeating: 0, count: capacity)
        var used = 0
        var made = 0
        input.withUnsafeBufferPointer { inBuffer in
            out.withUnsafeMutableBufferPointer { outBuffer in
                var data = SRC_DATA()
                data.data_in = inBuffer.baseAddress! + inputOffset
                data.input_frames = min(available, Self.chunk)
                data.data_out = outBuffer.baseAddress
                data.output_frames = capacity
                data.src_ratio = ratio
                data.end_of_input = endOfFile && available <= Self.chunk ? 1 : 0
                if src_process(converter, &data) == 0 {
                    used = Int(data.input_frames_used)
                    made = Int(data.output_frames_gen)
                }
            }
        }
        inputOffset += used
        output += out[0..<made]
        if made == 0 && used == 0 && endOfFile { finished = true }
    }

    /// The next `count` frames of music, at its set level (silence once a track without
    /// looping has ended).
    public func next(_ count: Int, into buffer: inout [Float]) {
        if buffer.count < count { buffer = [Float](repeating: 0, count: count) }
        var filled = 0
        while filled < count {
            if outputOffset >= output.count {
                if finished {
                    for i in filled..<count { buffer[i] = 0 }
                    return
                }
                produce()
                continue
            }
            let n = min(count - filled, output.count - outputOffset)
            for i in 0..<n { buffer[filled + i] = output[outputOffset + i] }
            outputOffset += n
            filled += n
        }
    }
}
