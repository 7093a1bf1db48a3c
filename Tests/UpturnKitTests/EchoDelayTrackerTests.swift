import XCTest

@testable import UpturnKit

/// The echo's delay followed from the sound itself: through silences while the clocks drift,
/// and not pulled off by a ticking tone.
final class EchoDelayTrackerTests: XCTestCase {
    /// Speech (espeak's, taken as 16 kHz audio) for the player's cues.
    func speech(_ text: String) throws -> [Float] {
        try EspeakSynthesizer().synthesize(text, voice: VoiceSettings()).map { Float($0) * 0.5 }
    }

    /// `reference` heard `delay(t)` samples later (linear interpolation between samples).
    func delayed(_ reference: [Float], by delay: (Int) -> Double) -> [Int16] {
        (0..<reference.count).map { t in
            let position = Double(t) - delay(t)
            let whole = Int(position.rounded(.down))
            guard whole >= 0 && whole + 1 < reference.count else { return 0 }
            let f = Float(position - Double(whole))
            return Int16(max(-32768, min(32767, (reference[whole] * (1 - f) + reference[whole + 1] * f).rounded())))
        }
    }

    /// Feeds the tracker (and an echo canceller after it) in 20 ms frames; returns the
    /// cleaned microphone and the tracker's shift at each frame.
    func run(
        _ tracker: EchoDelayTracker?, microphone: [Int16], reference: [Int16]
    ) -> (cleaned: [Int16], shifts: [Double]) {
        // The canceller alone: what it takes out is what the tracker's alignment allows.
        let frontEnd = VoiceFrontEnd(echoTail: CommandListener.echoTail, copying: false, silencing: false)
        let frame = VoiceFrontEnd.frame
        var cleaned: [Int16] = []
        var shifts: [Double] = []
        var aligned = [Int16](repeating: 0, count: frame)
        var mic = [Int16](repeating: 0, count: frame)
        for start in stride(from: 0, to: microphone.count - frame, by: frame) {
            mic.replaceSubrange(0..<frame, with: microphone[start..<start + frame])
            let ref = Array(reference[start..<start + frame])
            if let tracker {
                mic.withUnsafeBufferPointer { m in
                    ref.withUnsafeBufferPointer { r in
                        aligned.withUnsafeMutableBufferPointer { tracker.align(microphone: m, reference: r, into: $0) }
                    }
                }
                shifts.append(tracker.shift)
            } else {
                aligned = ref
            }
            mic.withUnsafeMutableBufferPointer { m in
                aligned.withUnsafeBufferPointer { frontEnd.process(m.baseAddress!, reference: $0.baseAddress!) }
            }
            cleaned += mic
        }
        return (cleaned, shifts)
    }

    func decibels(_ samples: ArraySlice<Int16>) -> Double {
        10 * log10(samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(samples.count, 1)) + 1)
    }

    /// Cues with ten seconds of silence between them while the echo's delay drifts by 60 ppm
    /// (a USB microphone against the speaker): each cue after a silence starts with the
    /// reference already in step, and the canceller keeps taking the echo out. Read plainly,
    /// the reference is 19 samples off at each cue and the echo comes through.
    func testTheDelayIsFollowedThroughSilencesAsTheClocksDrift() throws {
        let cue = try speech("Arms overhead, reaching gently through your fingertips, breathing slowly and evenly. Halfway there.")
        let silence = [Float](repeating: 0, count: 10 * 16_000)
        var reference: [Float] = [Float](repeating: 0, count: 16_000)
        var cueStarts: [Int] = []
        for _ in 0..<5 {
            cueStarts.append(reference.count)
            reference += cue + silence
        }
        let delay = { (t: Int) in 400 + 0.00006 * Double(t) }
        let microphone = delayed(reference, by: delay)
        let plain = reference.map { Int16(max(-32768, min(32767, $0.rounded()))) }
        let tracker = EchoDelayTracker()
        let (cleaned, shifts) = run(tracker, microphone: microphone, reference: plain)
        let frame = VoiceFrontEnd.frame
        for start in cueStarts.dropFirst() {
            // 20 ms into the cue: already within half a sample of the delay (less the 10 ms
            // kept), carried over the silence by the drift.
            let shift = shifts[start / frame + 1]
            XCTAssertEqual(shift, delay(start) - EchoDelayTracker.target, accuracy: 0.5, "cue at \(start / 16_000) s")
        }
        XCTAssertEqual(tracker.drift, 0.00006, accuracy: 0.00001)
        // The last cue: its first second's echo taken out by over 20 dB.
        let last = cueStarts.last!
        let echo = decibels(microphone[last..<last + 16_000])
        XCTAssertGreaterThan(echo - decibels(cleaned[last..<last + 16_000]), 20)
        // Without the tracker (the reference as the devices' delays put it), much less.
        let (untracked, _) = run(nil, microphone: microphone, reference: plain)
        XCTAssertLessThan(echo - decibels(untracked[last..<last + 16_000]), 12)
    }

    /// A countdown's ticks (an 875 Hz tone, 40 ms each second, as the pack's tick sound)
    /// correlate at every period of the tone: over the cue they are said with, the delay must
    /// not jump by a period (on the bed, before the reference was whitened, it went 1.14 ms
    /// off on them and the echo came through; this made-up countdown does not reproduce that
    /// loopback, so it guards the tracker rather than proving the whitening).
    func testTicksDoNotPullTheDelay() throws {
        var reference: [Float] = [Float](repeating: 0, count: 16_000)
        reference += try speech("Slowly return upright. Take a breath, and rest with your arms at your sides.")
        let ticksStart = reference.count
        let counted = try speech("Five. Four. Three. Two. One.")
        reference += counted + [Float](repeating: 0, count: 16_000)
        for second in 0..<6 {
            for i in 0..<640 {
                let envelope = Float(1 - Double(i) / 640)
                reference[ticksStart + second * 16_000 + i] += Float(sin(2 * Double.pi * 875 * Double(i) / 16_000)) * 14_000 * envelope
            }
        }
        reference += try speech("Ten seconds.")
        let microphone = delayed(reference, by: { _ in 521 })
        let tracker = EchoDelayTracker()
        let plain = reference.map { Int16(max(-32768, min(32767, $0.rounded()))) }
        let (_, shifts) = run(tracker, microphone: microphone, reference: plain)
        let frame = VoiceFrontEnd.frame
        for (i, shift) in shifts.enumerated() where i * frame > ticksStart {
            XCTAssertEqual(shift, 521 - EchoDelayTracker.target, accuracy: 0.5, "at \(Double(i * frame) / 16_000) s")
        }
        XCTAssertEqual(tracker.measured.last?.delay ?? 0, 521, accuracy: 0.25)
    }
}
