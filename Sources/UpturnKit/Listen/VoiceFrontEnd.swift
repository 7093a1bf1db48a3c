import CSpeexDSP

/// What the recognizer hears: the microphone less the player's own sound.
///
/// speexdsp's echo canceller (MDF, an adaptive filter) takes out the mix the player wrote,
/// given as the reference in step with the microphone (`EchoDelayTracker` keeps it in step).
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
    private let echo: OpaquePointer
    private var cleaned = [Int16](repeating: 0, count: frame)

    /// `echoTail`: the longest echo cancelled, in seconds (the delay from the speaker to the
    /// microphone included).
    init(echoTail: Double) {
        echo = speex_echo_state_init(Int32(Self.frame), Int32(echoTail * Double(SpeechRecognizer.rate)))
        var rate = Int32(SpeechRecognizer.rate)
        speex_echo_ctl(echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate)
    }

    deinit {
        speex_echo_state_destroy(echo)
    }

    /// Cleans one frame in place; `reference` is what was playing as it was heard.
    func process(_ microphone: UnsafeMutablePointer<Int16>, reference: UnsafePointer<Int16>) {
        cleaned.withUnsafeMutableBufferPointer { speex_echo_cancellation(echo, microphone, reference, $0.baseAddress!) }
        microphone.update(from: cleaned, count: Self.frame)
    }
}
