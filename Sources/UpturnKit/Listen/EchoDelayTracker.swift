import Foundation

/// Keeps the echo canceller's reference in step with the echo in the microphone, to a
/// fraction of a sample, while the two drift apart.
///
/// The devices' delays (`snd_pcm_delay`) place the reference within some milliseconds, but
/// the speaker and the microphone run on clocks of their own (a USB microphone's against the
/// speaker's; on the test bed, PulseAudio's loopback steering its latency), so the echo's delay
/// wanders: measured on the bed, from 24.7 to 30.9 ms over 200 s. An adaptive filter follows
/// that only while the player talks, and a cue after some seconds of silence met a filter
/// fitted to the old delay: 0 to 6 dB of echo taken out at the cue's start instead of 25 to
/// 45, and the user's command lost in it.
///
/// So the delay is measured from the sound itself: every eighth of a second in which the player
/// was heard, the last half second of microphone is cross-correlated with the reference within
/// 2 ms of the delay expected (over the whole 0–300 ms when there is none yet or it was lost),
/// both whitened first, the peak refined between samples; at every 20 ms frame when the
/// player starts again after a silence. The drift measured over the last two minutes carries the
/// delay on through the silences, and the reference is read (cubic interpolation) that much
/// earlier that its echo always comes `target` after it, where the filter learned it.
final class EchoDelayTracker {
    /// Where the echo is kept: 10 ms after its reference (a room's direct path, with a margin:
    /// the filter cannot take out an echo that comes before its reference).
    static let target = 160.0
    /// The longest delay looked for: 300 ms.
    static let longest = 4800
    /// Measured windows and their spacing.
    static let window = 8000
    static let hop = 2000
    /// The window measured at every frame when the player starts again after a silence
    /// (128 ms): the filter is set right before it has learned the drifted delay.
    static let onsetWindow = 2048

    /// Reading the reference between samples: a windowed sinc (Kaiser, 16 taps) at one of
    /// 1024 phases. A cubic's response at high frequencies changes with the phase, so as the
    /// delay drifts through the phases the echo path seems to move. Measured alone, against the
    /// cubic, it made no difference (23 dB taken out of an echo drifting 40 ppm either way):
    /// what held that figure down was the peak's bias (`fraction`), fixed with it.
    static let taps = 16
    static let phases = 1024
    static let interpolator: [Float] = {
        func bessel0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0
            for k in 1..<30 { term *= (x / 2) * (x / 2) / Double(k * k); sum += term }
            return sum
        }
        let beta = 7.0
        var table = [Float](repeating: 0, count: (phases + 1) * taps)
        for phase in 0...phases {
            let fraction = Double(phase) / Double(phases)
            var row = [Double](repeating: 0, count: taps)
            for k in 0..<taps {
                // Tap k reads the sample at whole - taps/2 + 1 + k.
                let x = Double(k - taps / 2 + 1) - fraction
                let w = x / Double(taps / 2)
                let window = abs(w) >= 1 ? 0 : bessel0(beta * (1 - w * w).squareRoot()) / bessel0(beta)
                row[k] = (x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)) * window
            }
            let gain = row.reduce(0, +)
            for k in 0..<taps { table[phase * taps + k] = Float(row[k] / gain) }
        }
        return table
    }()

    /// The reference's delay now, in samples (the measured echo delay less `target`).
    private(set) var shift: Double
    /// Delays measured: (when, in samples heard; delay, in samples).
    private(set) var measured: [(at: Double, delay: Double)] = []
    /// How fast the delay moves: samples per sample.
    private(set) var drift = 0.0
    /// The raw reference and microphone, the last `longest + window` samples and more.
    private var reference: [Float] = []
    private var microphone: [Float] = []
    /// Samples heard in all; the first sample the buffers hold.
    private var now = 0
    private var start = 0
    private var sinceMeasure = 0
    /// Measurements in a row that disagreed with the prediction; windows in a row with no
    /// clear peak (after four, the whole range is searched again).
    private var disagreeing: [(at: Double, delay: Double)] = []
    private var unclear = 0

    /// `initialShift`: the reference's delay until a measurement (samples).
    init(initialShift: Double = 2) {
        shift = max(2, initialShift)
    }

    /// The reference for the frame of microphone samples `microphone`, which came with the raw
    /// reference `reference` (the same length), delayed to keep the echo `target` behind it.
    func align(microphone mic: UnsafeBufferPointer<Int16>, reference ref: UnsafeBufferPointer<Int16>, into output: UnsafeMutableBufferPointer<Int16>) {
        for sample in mic { microphone.append(Float(sample)) }
        for sample in ref { reference.append(Float(sample)) }
        let frameStart = now
        now += mic.count
        sinceMeasure += mic.count
        if now - start >= Self.window + Self.longest + 4 {
            if let last = measured.last, Double(now) - last.at > 16_000, unclear < 4, disagreeing.isEmpty {
                measure(window: Self.onsetWindow, wide: false)
            } else if sinceMeasure >= Self.hop {
                sinceMeasure = 0
                measure(window: Self.window, wide: true)
            }
        }
        if let predicted = prediction(at: Double(frameStart)) {
            shift = min(Double(Self.longest), max(2, predicted - Self.target))
        }
        for i in 0..<output.count {
            let position = Double(frameStart + i) - shift - Double(start)
            let whole = Int(position.rounded(.down))
            guard whole >= Self.taps / 2 - 1 && whole + Self.taps / 2 < reference.count else {
                output[i] = 0
                continue
            }
            let phase = min(Self.phases, Int(((position - Double(whole)) * Double(Self.phases)).rounded()))
            var value: Float = 0
            Self.interpolator.withUnsafeBufferPointer { table in
                reference.withUnsafeBufferPointer { x in
                    let coefficients = phase * Self.taps
                    let first = whole - Self.taps / 2 + 1
                    for k in 0..<Self.taps { value += table[coefficients + k] * x[first + k] }
                }
            }
            output[i] = Int16(max(-32768, min(32767, value.rounded())))
        }
        let keep = Self.window + Self.longest + 16_000
        if reference.count > keep + 16_000 {
            let drop = reference.count - keep
            reference.removeFirst(drop)
            microphone.removeFirst(drop)
            start += drop
        }
    }

    /// The delay predicted for `time`: the last measurement's, moved on by the drift.
    private func prediction(at time: Double) -> Double? {
        guard let last = measured.last else { return nil }
        // Not beyond two minutes from the last measurement.
        return last.delay + drift * (min(time, last.at + 120 * 16_000) - last.at)
    }

    /// The drift (samples of delay per sample) over the last two minutes' measurements: the
    /// median of the slopes between pairs at least 2 s apart (Theil–Sen), which the loopback's
    /// steps and a wrong measurement do not move; at most 500 ppm, as clocks go.
    private func updateDrift() {
        guard let last = measured.last else { return }
        let recent = measured.filter { $0.at >= last.at - 120 * 16_000 }
        let step = max(1, recent.count / 40)
        let sample = stride(from: recent.count - 1, through: 0, by: -step).map { recent[$0] }
        var slopes: [Double] = []
        for i in sample.indices {
            for j in sample.indices where sample[j].at - sample[i].at >= 2 * 16_000 {
                slopes.append((sample[j].delay - sample[i].delay) / (sample[j].at - sample[i].at))
            }
        }
        guard slopes.count >= 3 else {
            drift = 0
            return
        }
        slopes.sort()
        drift = max(-0.0005, min(0.0005, slopes[slopes.count / 2]))
    }

    /// Measures the delay over the last `window` samples, if the player was heard in them:
    /// around the delay expected, or over the whole range when `wide` and there is none.
    private func measure(window: Int, wide: Bool) {
        let micEnd = now - start
        let micStart = micEnd - window
        let energy = power(microphone, micStart, window)
        guard energy > 100 * 100 else { return }
        let expected = prediction(at: Double(now))
        let found: Peak?
        if let expected, unclear < 4, disagreeing.isEmpty {
            let centre = Int(expected.rounded())
            guard power(reference, micStart - centre, window) > 300 * 300 else { return }
            found = peak(micStart: micStart, window: window, lags: max(0, centre - 32)...min(Self.longest, centre + 32))
        } else {
            guard wide, power(reference, micStart - Self.longest, window + Self.longest) > 300 * 300 else { return }
            found = widePeak(micStart: micStart)
        }
        if SpeechRecognizer.debug, let found {
            StandardError.write(String(format: "echo delay at %.2f: %.3f ms (correlation %.2f), reference delayed %.3f ms", (Double(now - window) + found.centre) / 16_000, found.delay / 16, found.correlation, shift / 16))
        }
        guard let found, found.correlation >= 0.5 else {
            unclear += 1
            return
        }
        guard !found.ambiguous else { return }
        unclear = 0
        let at = Double(now - window) + found.centre
        // Within half a millisecond of the prediction, more after a long silence (100 ppm).
        let tolerance = min(32, 8 + 0.0001 * (at - (measured.last?.at ?? at)))
        if let expected, abs(found.delay - expected) > tolerance {
            // A jump (an underrun, a reopened device) or a wrong peak (a chime's period): taken
            // when three measurements in a row agree on it.
            disagreeing.append((at, found.delay))
            let agreeing = disagreeing.suffix(3)
            guard agreeing.count == 3, agreeing.allSatisfy({ abs($0.delay - found.delay) <= 8 }) else { return }
            measured = Array(agreeing)
            disagreeing = []
            updateDrift()
            return
        }
        disagreeing = []
        measured.append((at, found.delay))
        if measured.count > 1000 { measured.removeFirst(measured.count - 1000) }
        updateDrift()
    }

    private struct Peak {
        var delay: Double
        var correlation: Double
        /// Another peak nearly as high (a tone, a chime: periodic sound correlates at every
        /// period): no measurement.
        var ambiguous = false
        /// When in the window the delay was measured: the centre of the energy of its echo (the
        /// reference there, whitened; not the microphone's, which holds the user's voice too),
        /// from the window's start. Measured, taking the window's middle
        /// instead put the delay of an echo drifting 40 ppm up to 0.15 samples off, as the
        /// speech in a window was early or late in it.
        var centre = 0.0
    }

    /// Whether `values` have a local peak at least `apart` from `best` that is 80% of it.
    private static func ambiguous(_ values: [Double], best: Int, apart: Int) -> Bool {
        guard values[best] > 0 else { return true }
        for i in values.indices.dropFirst().dropLast() where abs(i - best) >= apart {
            if values[i] >= 0.8 * values[best] && values[i] >= values[i - 1] && values[i] >= values[i + 1] { return true }
        }
        return false
    }

    /// The strongest correlation of the microphone window with the reference over `lags`
    /// (the microphone later by that many samples), refined between samples; nil when the
    /// best is at the range's edge (the delay is outside it).
    ///
    /// Both are whitened first by the same filter, the inverse of the reference's spectrum
    /// there (linear prediction, order 12): speech keeps one sharp peak, and a tick or a chime,
    /// whose plain correlation peaks at every period of its tone (measured on the bed: the
    /// countdown's ticks put the delay 1.14 ms off, a period), no longer outweighs it.
    private func peak(micStart: Int, window: Int, lags: ClosedRange<Int>, checkAmbiguity: Bool = true) -> Peak? {
        let refFrom = micStart - lags.upperBound
        guard refFrom >= Self.order else { return nil }
        let filter = Self.whitener(reference, from: refFrom, count: window + lags.count - 1)
        let ref = Self.whiten(reference, from: refFrom, count: window + lags.count - 1, filter)
        let mic = Self.whiten(microphone, from: micStart, count: window, filter)
        var values: [Double] = []
        values.reserveCapacity(lags.count)
        for lag in lags {
            let offset = lags.upperBound - lag
            var sum: Float = 0
            for i in 0..<window { sum += mic[i] * ref[offset + i] }
            values.append(Double(sum))
        }
        guard let best = values.indices.max(by: { values[$0] < values[$1] }), best > 0, best < values.count - 1 else {
            return nil
        }
        let b = values[best]
        let fraction = Self.fraction(values, best: best)
        let lag = lags.lowerBound + best
        let refEnergy = Self.energy(ref, from: lags.upperBound - lag, count: window)
        let micEnergy = Self.energy(mic, from: 0, count: window)
        guard refEnergy > 0, micEnergy > 0 else { return nil }
        return Peak(
            delay: Double(lag) + fraction, correlation: b / (refEnergy * micEnergy).squareRoot(),
            ambiguous: checkAmbiguity && Self.ambiguous(values, best: best, apart: 6), centre: Self.centre(ref, from: lags.upperBound - lag, count: window))
    }

    /// Where between samples the correlation `values` peak near `best`: the values read between
    /// lags with a windowed sinc (the correlation of sampled sound is band-limited too), on a
    /// grid of 1/64 of a sample. A parabola through three lags, which this replaced, is
    /// biased towards whole samples by up to a quarter of one for whitened sound, by an amount
    /// that changes as the delay drifts through the fractions, and the reference wandered with
    /// it. Measured on an echo drifting 40 ppm: 23 dB taken out with the parabola, 25 with
    /// this, 31 with this and the measurement dated at its echo's centre (`Peak.centre`); 39
    /// for an echo that does not drift.
    static func fraction(_ values: [Double], best: Int) -> Double {
        let reach = 8
        func value(at x: Double) -> Double {
            var sum = 0.0
            for k in max(0, best - reach)...min(values.count - 1, best + reach) {
                let d = x - Double(k - best)
                let w = d / Double(reach + 1)
                guard abs(w) < 1 else { continue }
                let sinc = d == 0 ? 1 : sin(Double.pi * d) / (Double.pi * d)
                sum += values[k] * sinc * (0.5 + 0.5 * cos(Double.pi * w))
            }
            return sum
        }
        var bestX = 0.0, bestValue = -Double.infinity
        for step in -48...48 {
            let x = Double(step) / 64
            let v = value(at: x)
            if v > bestValue { (bestX, bestValue) = (x, v) }
        }
        return bestX
    }

    /// Over the whole range: first at a quarter of the rate (whitened, then sums of four
    /// samples), then around the best of those at the full rate.
    private func widePeak(micStart: Int) -> Peak? {
        let refFrom = micStart - Self.longest
        guard refFrom >= Self.order else { return nil }
        let filter = Self.whitener(reference, from: refFrom, count: Self.window + Self.longest)
        let ref = Self.whiten(reference, from: refFrom, count: Self.window + Self.longest, filter)
        let mic = Self.whiten(microphone, from: micStart, count: Self.window, filter)
        let quarter = Self.window / 4
        let micQ = Self.sumsOfFour(mic, count: quarter)
        let refQ = Self.sumsOfFour(ref, count: ref.count / 4)
        var values: [Double] = []
        for lag in 0...(Self.longest / 4) {
            let offset = Self.longest / 4 - lag
            var sum: Float = 0
            for i in 0..<quarter { sum += micQ[i] * refQ[offset + i] }
            values.append(Double(sum))
        }
        guard let best = values.indices.max(by: { values[$0] < values[$1] }) else { return nil }
        let refined = peak(
            micStart: micStart, window: Self.window, lags: max(0, best * 4 - 8)...min(Self.longest, best * 4 + 8), checkAmbiguity: false)
        return refined.map {
            Peak(delay: $0.delay, correlation: $0.correlation, ambiguous: Self.ambiguous(values, best: best, apart: 2), centre: $0.centre)
        }
    }

    private static func sumsOfFour(_ x: [Float], count: Int) -> [Float] {
        var sums = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let a: Float = x[4 * i] + x[4 * i + 1]
            let b: Float = x[4 * i + 2] + x[4 * i + 3]
            sums[i] = a + b
        }
        return sums
    }

    /// The whitening filter's order.
    static let order = 12

    /// The prediction-error filter (a[0] = 1) of `count` samples from `from`: Levinson–Durbin
    /// over their autocorrelation, with a little white noise (−20 dB) for a stable filter (−40 dB measured the same).
    static func whitener(_ x: [Float], from: Int, count: Int) -> [Double] {
        var r = [Double](repeating: 0, count: order + 1)
        x.withUnsafeBufferPointer { x in
            for k in 0...order {
                var sum: Double = 0
                for i in from + k..<from + count { sum += Double(x[i]) * Double(x[i - k]) }
                r[k] = sum
            }
        }
        r[0] = r[0] * 1.01 + 1e-3
        var a = [Double](repeating: 0, count: order + 1)
        a[0] = 1
        var error = r[0]
        for i in 1...order {
            var acc = r[i]
            for j in 1..<i { acc += a[j] * r[i - j] }
            let k = -acc / error
            let previous = a
            for j in 1..<i { a[j] = previous[j] + k * previous[i - j] }
            a[i] = k
            error *= 1 - k * k
            if error <= 0 { break }
        }
        return a
    }

    /// `count` samples from `from` through the filter `a` (it reads `order` samples before).
    static func whiten(_ x: [Float], from: Int, count: Int, _ a: [Double]) -> [Float] {
        let coefficients = a.map { Float($0) }
        return x.withUnsafeBufferPointer { x in
            (0..<count).map { n in
                var sum: Float = 0
                for k in 0...order { sum += coefficients[k] * x[from + n - k] }
                return sum
            }
        }
    }

    /// The centre of the energy of `count` samples of `x` from `from`, counted from `from`.
    static func centre(_ x: [Float], from: Int, count: Int) -> Double {
        var weighted = 0.0, total = 0.0
        for i in 0..<count {
            let e = Double(x[from + i]) * Double(x[from + i])
            weighted += Double(i) * e
            total += e
        }
        return total > 0 ? weighted / total : Double(count) / 2
    }

    static func energy(_ x: [Float], from: Int, count: Int) -> Double {
        var sum: Double = 0
        for i in from..<from + count { sum += Double(x[i]) * Double(x[i]) }
        return sum
    }

    /// Mean square of `count` samples of `buffer` from `from` (0 where it holds none).
    private func power(_ buffer: [Float], _ from: Int, _ count: Int) -> Double {
        guard from >= 0, from + count <= buffer.count else { return 0 }
        return Self.energy(buffer, from: from, count: count) / Double(count)
    }
}
