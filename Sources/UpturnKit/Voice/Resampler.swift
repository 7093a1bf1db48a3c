import CSampleRate
import CSoxr

/// Sample-rate conversion. libsoxr (what PipeWire and ffmpeg use) at its high quality (a
/// passband to 91% of the lower Nyquist frequency, over 100 dB of stopband) is several
/// times faster than libsamplerate's medium sinc on our prompts, with no loss of quality
/// (`Scripts/bench` measures both; a test holds the level to 0.1 dB and images under
/// -90 dB). libsamplerate stays for that comparison.
public enum Resampler {
    public enum Engine: Sendable {
        case soxr
        /// libsamplerate's `SRC_SINC_MEDIUM_QUALITY`, the converter before soxr.
        case libsamplerate
    }

    /// The whole of `input` at `outRate`. The corresponding C function is `soxr_oneshot`.
    public static func resample(_ input: [Float], from inRate: Int, to outRate: Int, engine: Engine = .soxr) throws(UpturnError) -> [Float] {
        guard inRate != outRate, !input.isEmpty else { return input }
        let ratio = Double(outRate) / Double(inRate)
        let capacity = Int((Double(input.count) * ratio).rounded(.up)) + 16
        var output = [Float](repeating: 0, count: capacity)
        var made = 0
        var failure: String?
        input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                switch engine {
                case .soxr:
                    var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
                    var done = 0
                    if let error = soxr_oneshot(
                        Double(inRate), Double(outRate), 1, inBuffer.baseAddress, inBuffer.count, nil, outBuffer.baseAddress,
                        outBuffer.count, &done, nil, &quality, nil)
                    {
                        failure = String(cString: error)
                    }
                    made = done
                case .libsamplerate:
                    var data = SRC_DATA()
                    data.data_in = inBuffer.baseAddress
                    data.input_frames = inBuffer.count
                    data.data_out = outBuffer.baseAddress
                    data.output_frames = outBuffer.count
                    data.src_ratio = ratio
                    data.end_of_input = 1
                    let status = src_simple(&data, Int32(SRC_SINC_MEDIUM_QUALITY), 1)
                    if status != 0 { failure = String(cString: src_strerror(status)) }
                    made = data.output_frames_gen
                }
            }
        }
        if let failure { throw UpturnError.internalError("cannot resample \(inRate) Hz to \(outRate) Hz: \(failure)") }
        output.removeSubrange(made...)
        return output
    }

    /// How many frames `frames` at `inRate` make at `outRate`, rounded: what `resample`
    /// gives, within the filter's rounding of a frame or two (a test holds it to that).
    public static func length(_ frames: Int, from inRate: Int, to outRate: Int) -> Int {
        guard inRate != outRate else { return frames }
        return Int((Int64(frames) * Int64(outRate) + Int64(inRate) / 2) / Int64(inRate))
    }
}

/// A resampler kept across calls, for a stream (music as it plays). The C calls are
/// `soxr_create`, `soxr_process` and `soxr_delete`.
final class StreamingResampler {
    let ratio: Double
    private let state: soxr_t

    init(from inRate: Int, to outRate: Int) throws(UpturnError) {
        ratio = Double(outRate) / Double(inRate)
        var error: soxr_error_t?
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        guard let state = soxr_create(Double(inRate), Double(outRate), 1, &error, nil, &quality, nil), error == nil else {
            throw UpturnError.internalError("cannot start the resampler: \(error.map { String(cString: $0) } ?? "unknown")")
        }
        self.state = state
    }

    deinit { soxr_delete(state) }

    /// Converts what it can of `input` into `output`: (input frames used, output frames made).
    /// `last` says no more input will come, so the converter flushes what it holds.
    func process(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, last: Bool) -> (used: Int, made: Int) {
        var used = 0
        var made = 0
        if soxr_process(state, input.baseAddress, input.count, &used, output.baseAddress, output.count, &made) != nil { return (0, 0) }
        if last && made < output.count {
            // The end: what the filter still holds comes out.
            var flushed = 0
            let rest = UnsafeMutableBufferPointer(rebasing: output[made...])
            if soxr_process(state, nil, 0, nil, rest.baseAddress, rest.count, &flushed) == nil { made += flushed }
        }
        return (used, made)
    }
}
