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

    private let file: AudioFileStream
    private let converter: StreamingResampler
    private var input: [Float] = []
    private var inputOffset = 0
    private var endOfFile = false
    private var finished = false
    private var output: [Float] = []
    private var outputOffset = 0
    private static let chunk = 4096

    public init(path: String, rate: Int, levelDB: Double, duckDB: Double, loop: Bool) throws(UpturnError) {
        self.path = path
        self.rate = rate
        self.loop = loop
        level = Float(pow(10, levelDB / 20))
        duckedLevel = Float(pow(10, (levelDB + duckDB) / 20))
        file = try AudioFileStream(path: path, what: "music")
        converter = try StreamingResampler(from: file.rate, to: rate)
    }

    /// Reads the next chunk of the file as mono; at the end, loops or marks the end.
    private func readInput() {
        guard !endOfFile else { return }
        input.removeFirst(inputOffset)
        inputOffset = 0
        var got = file.read(Self.chunk, appendingTo: &input)
        if got == 0 && loop {
            file.rewind()
            got = file.read(Self.chunk, appendingTo: &input)
        }
        if got == 0 { endOfFile = true }
    }

    /// Produces more resampled output, in fixed-size steps so the result does not depend on
    /// how many frames are asked for at a time (play equals render, sample for sample).
    private func produce() {
        if input.count - inputOffset < Self.chunk { readInput() }
        output.removeFirst(outputOffset)
        outputOffset = 0
        let available = input.count - inputOffset
        let capacity = Int(Double(Self.chunk) * converter.ratio) + 64
        var out = [Float](repeating: 0, count: capacity)
        let last = endOfFile && available <= Self.chunk
        let (used, made) = input.withUnsafeBufferPointer { inBuffer in
            out.withUnsafeMutableBufferPointer { outBuffer in
                converter.process(UnsafeBufferPointer(rebasing: inBuffer[inputOffset..<(inputOffset + min(available, Self.chunk))]), into: outBuffer, last: last)
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
