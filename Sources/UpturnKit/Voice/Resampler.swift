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
