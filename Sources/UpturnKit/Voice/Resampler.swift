import CSampleRate

/// Sample-rate conversion with libsamplerate's sinc converter.
/// The corresponding C function is `src_simple`.
public enum Resampler {
    public static func resample(_ input: [Float], from inRate: Int, to outRate: Int) throws(UpturnError) -> [Float] {
        guard inRate != outRate, !input.isEmpty else { return input }
        let ratio = Double(outRate) / Double(inRate)
        let capacity = Int((Double(input.count) * ratio).rounded(.up)) + 16
        var output = [Float](repeating: 0, count: capacity)
        var used = 0
        let status: Int32 = input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var data = SRC_DATA()
                data.data_in = inBuffer.baseAddress
                data.input_frames = Int(inBuffer.count)
                data.data_out = outBuffer.baseAddress
                data.output_frames = Int(outBuffer.count)
                data.src_ratio = ratio
                data.end_of_input = 1
                let status = src_simple(&data, Int32(SRC_SINC_MEDIUM_QUALITY), 1)
                used = Int(data.output_frames_gen)
                return status
            }
        }
        guard status == 0 else {
            throw UpturnError.internalError("cannot resample \(inRate) Hz to \(outRate) Hz: \(String(cString: src_strerror(status)))")
        }
        output.removeSubrange(used...)
        return output
    }
}

/// A resampler kept across calls, for a stream (music as it plays). The C calls are
/// `src_new`, `src_process` and `src_delete`.
final class StreamingResampler {
    let ratio: Double
    private let state: OpaquePointer

    init(from inRate: Int, to outRate: Int) throws(UpturnError) {
        ratio = Double(outRate) / Double(inRate)
        var error: Int32 = 0
        guard let state = src_new(Int32(SRC_SINC_MEDIUM_QUALITY), 1, &error) else {
            throw UpturnError.internalError("cannot start the resampler: \(String(cString: src_strerror(error)))")
        }
        self.state = state
    }

    deinit { src_delete(state) }

    /// Converts what it can of `input` into `output`: (input frames used, output frames made).
    /// `last` says no more input will come, so the converter flushes what it holds.
    func process(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>, last: Bool) -> (used: Int, made: Int) {
        var data = SRC_DATA()
        data.data_in = input.baseAddress
        data.input_frames = input.count
        data.data_out = output.baseAddress
        data.output_frames = output.count
        data.src_ratio = ratio
        data.end_of_input = last ? 1 : 0
        guard src_process(state, &data) == 0 else { return (0, 0) }
        return (Int(data.input_frames_used), Int(data.output_frames_gen))
    }
}
