import CSpeexDSP

/// What the recognizer hears: the microphone less the player's own sound.
///
/// speexdsp's echo canceller (MDF, an adaptive filter) takes out the mix the player wrote,
/// given as the reference in step with the microphone, and its preprocessor suppresses what
/// is left of the echo. Without a reference the microphone goes through untouched: measured
/// on the corpus, speexdsp's noise suppression and AGC cost the recognizer more commands than
/// they saved (45 → 42 of 45 quiet, 43 → 28 of 45 noisy). Audio goes in and out at 16 kHz in
/// 20 ms frames (measured against 10 and 16 ms: 42, 40 and 39 of 45 commands spoken over the
/// player's talk).
final class VoiceFrontEnd {
    static let frame = 320
    private let echo: OpaquePointer?
    private let residual: OpaquePointer?
    private var cleaned = [Int16](repeating: 0, count: frame)

    /// `echoTail`: the longest echo cancelled, in seconds (the delay from the speaker to the
    /// microphone included). nil: no reference, nothing to cancel.
    init(echoTail: Double?, suppressResidual: Bool = true) {
        guard let echoTail else {
            echo = nil
            residual = nil
            return
        }
        let echo = speex_echo_state_init(Int32(Self.frame), Int32(echoTail * Double(SpeechRecognizer.rate)))
        var rate = Int32(SpeechRecognizer.rate)
        speex_echo_ctl(echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate)
        self.echo = echo
        guard suppressResidual else {
            residual = nil
            return
        }
        let residual = speex_preprocess_state_init(Int32(Self.frame), Int32(SpeechRecognizer.rate))
        // The residual echo is suppressed in the preprocessor's noise stage; the noise floor
        // itself is barely touched and the level is left alone.
        var on: Int32 = 1
        var off: Int32 = 0
        var noise: Int32 = -6
        speex_preprocess_ctl(residual, SPEEX_PREPROCESS_SET_DENOISE, &on)
        speex_preprocess_ctl(residual, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &noise)
        speex_preprocess_ctl(residual, SPEEX_PREPROCESS_SET_AGC, &off)
        speex_preprocess_ctl(residual, SPEEX_PREPROCESS_SET_ECHO_STATE, UnsafeMutableRawPointer(echo))
        self.residual = residual
    }

    deinit {
        if let residual { speex_preprocess_state_destroy(residual) }
        if let echo { speex_echo_state_destroy(echo) }
    }

    /// Cleans one frame in place; `reference` is what was playing as it was heard.
    func process(_ microphone: UnsafeMutablePointer<Int16>, reference: UnsafePointer<Int16>) {
        guard let echo else { return }
        cleaned.withUnsafeMutableBufferPointer { speex_echo_cancellation(echo, microphone, reference, $0.baseAddress!) }
        microphone.update(from: cleaned, count: Self.frame)
        if let residual { speex_preprocess_run(residual, microphone) }
    }
}
