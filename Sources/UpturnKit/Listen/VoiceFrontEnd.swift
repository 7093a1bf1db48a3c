import CSpeexDSP
import Foundation

/// What the recognizer hears: the microphone less the player's own sound.
///
/// speexdsp's echo canceller (MDF, an adaptive filter) takes out the mix the player wrote,
/// given as the reference in step with the microphone (`EchoDelayTracker` keeps it in step).
/// Two things are added to it, both measured on the room bed with commands said into the
/// player's talk as loud as its echo:
///
/// - **A frozen copy of the echo path.** An adaptive filter also adapts while the user talks
///   over the player, and is then no longer the room's echo path; after a jump in the echo's
///   delay it is lost until it has learnt the path again. So a short second canceller (a
///   frame, 20 ms: speexdsp gives its filter exactly; the long one's impulse response leaves
///   parts of its filter out, and copied it took out 11 dB where the filter took out 25 to 38)
///   adapts beside it, and its filter is copied and kept whenever, over the last half second,
///   the player was heard, its echo was taken out by over 15 dB (so nobody else was talking)
///   and better than by the copy. Each frame, of the two outputs, the adaptive canceller's
///   and the copy's, the quieter is heard: what they hold alike is the user's voice, so the
///   quieter holds less echo. Echo taken out of a live session's echo, median per half
///   second: 27 dB before, 33 dB with the copy.
/// - **Echo-only frames are silenced.** What is left of the player's talk (25 to 35 dB under
///   it) is still speech to the recognizer: utterances ran on through it, a command inside
///   them was heard with seconds of murmur around it, and was mostly lost (measured: the
///   same cleaned commands were heard 5 times in 6 with the murmur cut away, 1 in 6 with it).
///   So a frame whose output is over 12 dB under the microphone while the player is heard
///   (its echo was taken out: nobody else is talking) becomes silence, unless someone was
///   heard in the last 0.3 s. A voice as loud as the echo leaves the output within a few dB
///   of the microphone and always passes; while the player is silent, or before the canceller
///   has learnt the path, nothing is silenced. Commands said into the player's talk on the
///   room bed: 12 of 26 heard before, 19 of 26 after.
///
/// Nothing else is done to the sound. speexdsp's preprocessor, which the issue proposed for the
/// residual echo, was measured to cost commands: with it, 42 of 45 commands over the
/// simulated echo and 9 of 15 over the live room's echo were heard, without it 44 and 13
/// (its noise and echo suppression smear the spectrum the recognizer reads; weaker settings,
/// -20 dB echo and no noise suppression, gave 41 and 12). Without a reference the microphone
/// goes through untouched: speexdsp's noise suppression and AGC also cost commands there
/// (45 → 42 of 45 quiet, 43 → 28 of 45 noisy). Audio goes in and out at 16 kHz in 20 ms
/// frames (measured against 10 and 16 ms: 42, 40 and 39 of 45 commands spoken over the
/// player's talk).
final class VoiceFrontEnd {
    static let frame = 320
    /// The frozen copy's length: one frame (20 ms; the echo is kept 10 ms after its reference).
    static let copyTaps = frame
    /// Frames over which the copy is judged before it is replaced (0.5 s).
    static let judged = 25
    /// Output this much quieter than the microphone, with the player heard: echo only (12 dB).
    static let echoOnly = 16.0
    /// Frames passed after a voice was heard (0.3 s).
    static let hangover = 15

    private let echo: OpaquePointer
    private let probe: OpaquePointer
    private let copying: Bool
    private let silencing: Bool
    private var cleaned = [Int16](repeating: 0, count: frame)
    private var probeOutput = [Int16](repeating: 0, count: frame)
    private var original = [Int16](repeating: 0, count: frame)
    /// The reference's last `copyTaps - 1 + frame` samples.
    private var history = [Float](repeating: 0, count: copyTaps - 1 + frame)
    /// The frozen copy, taps in reverse order (empty until one is taken).
    private var copy: [Float] = []
    private var copyOutput = [Float](repeating: 0, count: frame)
    private var response: [Int32]
    /// The microphone through speexdsp's DC notch (mdf.c, `filter_dc_notch16`, at 16 kHz):
    /// speexdsp's filters are the echo path through that notch, so the copy's output needs it.
    private var notched = [Float](repeating: 0, count: frame)
    private var notch: (Float, Float) = (0, 0)
    static let notchRadius: Float = 0.982
    static let notchDenominator: Float = notchRadius * notchRadius + 0.7 * (1 - notchRadius) * (1 - notchRadius)
    /// Per frame of the last `judged`: the energy of the microphone, of the reference, of the
    /// short canceller's output and of the copy's.
    private var recent: [(microphone: Double, reference: Double, probe: Double, copy: Double)] = []
    private var sinceCopy = 0
    private var voiceHeard = 0
    private var frames = 0
    /// Frames heard from the copy, and frames silenced (for tuning and tests).
    private(set) var framesFromCopy = 0
    private(set) var framesSilenced = 0

    /// `echoTail`: the longest echo cancelled, in seconds (the delay from the speaker to the
    /// microphone included). `copying` and `silencing` turn off the two additions (tests).
    init(echoTail: Double, copying: Bool = true, silencing: Bool = true) {
        self.copying = copying
        self.silencing = silencing
        var rate = Int32(SpeechRecognizer.rate)
        echo = speex_echo_state_init(Int32(Self.frame), Int32(echoTail * Double(SpeechRecognizer.rate)))
        speex_echo_ctl(echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate)
        probe = speex_echo_state_init(Int32(Self.frame), Int32(Self.copyTaps))
        speex_echo_ctl(probe, SPEEX_ECHO_SET_SAMPLING_RATE, &rate)
        var size: Int32 = 0
        speex_echo_ctl(probe, SPEEX_ECHO_GET_IMPULSE_RESPONSE_SIZE, &size)
        response = [Int32](repeating: 0, count: max(Int(size), Self.copyTaps))
    }

    deinit {
        speex_echo_state_destroy(echo)
        speex_echo_state_destroy(probe)
    }

    /// The last frame's reference energy (the sum of its squared samples): how loud the
    /// player was, as heard.
    private(set) var referenceEnergy = 0.0

    /// Cleans one frame in place; `reference` is what was playing as it was heard.
    func process(_ microphone: UnsafeMutablePointer<Int16>, reference: UnsafePointer<Int16>) {
        let frame = Self.frame
        frames += 1
        original.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: microphone, count: frame) }
        let micEnergy = Self.energy(microphone), refEnergy = Self.energy(reference)
        referenceEnergy = refEnergy
        let copyEnergy = copying ? applyCopy(microphone, reference: reference) : .infinity
        cleaned.withUnsafeMutableBufferPointer { speex_echo_cancellation(echo, microphone, reference, $0.baseAddress!) }
        let adaptiveEnergy = cleaned.withUnsafeBufferPointer { Self.energy($0.baseAddress!) }
        if copyEnergy < adaptiveEnergy {
            framesFromCopy += 1
            for i in 0..<frame { microphone[i] = Int16(max(-32768, min(32767, copyOutput[i].rounded()))) }
        } else {
            microphone.update(from: cleaned, count: frame)
        }
        let output = min(copyEnergy, adaptiveEnergy)
        if silencing {
            let echoOnly = output * Self.echoOnly < micEnergy
            if echoOnly && refEnergy > Double(frame) * 100 * 100 && voiceHeard == 0 {
                framesSilenced += 1
                microphone.update(repeating: 0, count: frame)
            } else if !echoOnly && output > Double(frame) * 30 * 30 {
                voiceHeard = Self.hangover
            } else {
                voiceHeard = max(0, voiceHeard - 1)
            }
        }
        guard copying else { return }
        probeOutput.withUnsafeMutableBufferPointer { out in
            original.withUnsafeBufferPointer { speex_echo_cancellation(probe, $0.baseAddress!, reference, out.baseAddress!) }
        }
        recent.append((micEnergy, refEnergy, probeOutput.withUnsafeBufferPointer { Self.energy($0.baseAddress!) }, copyEnergy))
        if recent.count > Self.judged { recent.removeFirst() }
        sinceCopy += 1
        takeCopyIfBetter()
    }

    /// The copy's output for the frame (into `copyOutput`) and its energy; infinite before a
    /// copy is taken.
    private func applyCopy(_ microphone: UnsafePointer<Int16>, reference: UnsafePointer<Int16>) -> Double {
        let frame = Self.frame
        history.withUnsafeMutableBufferPointer { h in
            let keep = h.count - frame
            h.baseAddress!.update(from: h.baseAddress! + frame, count: keep)
            for i in 0..<frame { h[keep + i] = Float(reference[i]) }
        }
        for i in 0..<frame { notched[i] = Self.notch(Float(microphone[i]), &notch) }
        guard !copy.isEmpty else { return .infinity }
        var energy = 0.0
        copy.withUnsafeBufferPointer { taps in
            history.withUnsafeBufferPointer { h in
                for i in 0..<frame {
                    let value = notched[i] - Self.dot(taps.baseAddress!, h.baseAddress! + i, Self.copyTaps)
                    copyOutput[i] = value
                    energy += Double(value) * Double(value)
                }
            }
        }
        return energy
    }

    /// Copies the short canceller's filter when, over the last half second, the player was
    /// heard throughout, its echo was taken out by over 15 dB, and better than by the copy.
    private func takeCopyIfBetter() {
        guard recent.count == Self.judged, sinceCopy >= Self.judged else { return }
        guard recent.filter({ $0.reference > Double(Self.frame) * 300 * 300 }).count >= Self.judged * 4 / 5 else { return }
        let microphone = recent.reduce(0) { $0 + $1.microphone }
        let probe = recent.reduce(0) { $0 + $1.probe }
        let copied = recent.reduce(0) { $0 + $1.copy }
        guard probe * 31.6 < microphone, probe < 0.8 * copied else { return }
        sinceCopy = 0
        if SpeechRecognizer.debug {
            StandardError.write(
                String(
                    format: "echo path copied at %.2f s: its echo taken out by %.0f dB (the copy before: %.0f dB); %d frames from copies, %d silenced",
                    Double(frames * Self.frame) / Double(SpeechRecognizer.rate), 10 * log10(microphone / probe), 10 * log10(microphone / copied),
                    framesFromCopy, framesSilenced))
        }
        response.withUnsafeMutableBufferPointer { speex_echo_ctl(self.probe, SPEEX_ECHO_GET_IMPULSE_RESPONSE, $0.baseAddress!) }
        // speexdsp (float) gives the taps times 32767 and its FFT's size, two frames.
        let scale = 1 / (32767 * Float(2 * Self.frame))
        copy = (0..<Self.copyTaps).map { Float(response[Self.copyTaps - 1 - $0]) * scale }
    }

    /// One sample through speexdsp's DC notch, whose state is `memory`.
    static func notch(_ input: Float, _ memory: inout (Float, Float)) -> Float {
        let output = memory.0 + input
        memory.0 = memory.1 + 2 * (-input + notchRadius * output)
        memory.1 = input - notchDenominator * output
        return notchRadius * output
    }

    /// The energy of one frame.
    private static func energy(_ x: UnsafePointer<Int16>) -> Double {
        var sum = 0.0
        for i in 0..<frame { sum += Double(x[i]) * Double(x[i]) }
        return sum
    }

    /// The sum of `a[k] * b[k]` for `count` (a multiple of 8) values.
    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var sum = SIMD8<Float>()
        var k = 0
        while k < count {
            sum += UnsafeRawPointer(a + k).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(b + k).loadUnaligned(as: SIMD8<Float>.self)
            k += 8
        }
        return sum.sum()
    }
}
