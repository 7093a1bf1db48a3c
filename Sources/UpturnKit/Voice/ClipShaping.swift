/// Shapes raw audio into a clip the renderer can drop anywhere: silence trimmed from both
/// ends, a short fade in and out (no clicks), 16-bit samples.
public enum ClipShaping {
    /// Below this (about -54 dBFS) a sample counts as silence when trimming.
    public static let silenceThreshold: Float = 0.002
    public static let preRollMilliseconds = 1
    public static let tailMilliseconds = 12
    public static let fadeInMilliseconds = 2
    public static let fadeOutMilliseconds = 8

    public static func shape(_ samples: [Float], rate: Int, gain: Float = 1) -> [Int16] {
        guard let first = samples.firstIndex(where: { abs($0) >= silenceThreshold }),
            let last = samples.lastIndex(where: { abs($0) >= silenceThreshold })
        else { return [] }
        let start = max(0, first - rate * preRollMilliseconds / 1000)
        let end = min(samples.count, last + 1 + rate * tailMilliseconds / 1000)
        let count = end - start
        let fadeIn = min(count / 2, rate * fadeInMilliseconds / 1000)
        let fadeOut = min(count / 2, rate * fadeOutMilliseconds / 1000)
        var out = [Int16](repeating: 0, count: count)
        for i in 0..<count {
            var g = gain
            if i < fadeIn { g *= Float(i + 1) / Float(fadeIn + 1) }
            let fromEnd = count - 1 - i
            if fromEnd < fadeOut { g *= Float(fromEnd) / Float(fadeOut) }
            out[i] = toInt16(samples[start + i] * g)
        }
        return out
    }

    /// The level of espeak-ng's speech at volume 100: the RMS of its 20 ms windows louder
    /// than -40 dBFS (measured: 0.096). Recordings are brought to it so nothing jumps out.
    public static let speechLevel: Float = 0.096

    /// The RMS over the windows that are not near-silent: how loud a voice sounds.
    public static func activeLevel(_ samples: [Float], rate: Int) -> Float {
        let window = max(1, rate / 50)
        var sum: Double = 0
        var count = 0
        var i = 0
        while i + window <= samples.count {
            var s: Double = 0
            for k in i..<(i + window) { s += Double(samples[k]) * Double(samples[k]) }
            if s / Double(window) > 0.0001 {
                sum += s
                count += window
            }
            i += window
        }
        return count == 0 ? 0 : Float((sum / Double(count)).squareRoot())
    }

    /// Scales a recording to the target level, never past a peak of 0.95.
    public static func levelMatched(_ samples: [Float], rate: Int, target: Float) -> [Float] {
        let level = activeLevel(samples, rate: rate)
        guard level > 0 else { return samples }
        let peak = samples.reduce(Float(0)) { max($0, abs($1)) }
        let gain = min(target / level, peak > 0 ? 0.95 / peak : 1)
        return samples.map { $0 * gain }
    }

    @inline(__always)
    public static func toInt16(_ x: Float) -> Int16 {
        let scaled = (x * 32767).rounded()
        if scaled >= 32767 { return 32767 }
        if scaled <= -32768 { return -32768 }
        return Int16(scaled)
    }

    public static func toFloat(_ samples: [Int16]) -> [Float] {
        samples.map { Float($0) / 32768 }
    }
}
