import CSpeexDSP
import Foundation

/// A fan's noise taken down before the recognizer, when there is noise to take down:
/// speexdsp's preprocessor (noise suppression, at most -15 dB) runs all the time, so its
/// noise estimate is ready, and its output is heard only while the room's noise floor (the
/// quietest 20 ms in the last 3 s) is over `loudFloor`. Measured on issue 19's corpus
/// (flite's voices, the phone-loop recognizer, offline): pink noise at 10 dB SNR heard 13%
/// of commands without it and 23% with it always on (WebRTC's suppressor, Debian's 0.3:
/// 28%, not enough to bring in C++ for), but always on it cost a quiet room 3 of 100
/// commands and brown noise 2 of 60. In the program, gated at -55 dBFS: pink 20 dB 66% ->
/// 74%, pink 10 dB 10% -> 15%, brown 10 dB 70% either way (always on: 72%, 15%, 65%); a
/// quiet room never hears it.
final class NoiseSuppressor {
    private let state: OpaquePointer
    let frame: Int
    private var levels: [Double]
    private var next = 0
    private var copy: [Int16]
    /// The noise floor, dBFS, over which the suppressor's output is heard.
    static let loudFloor = -55.0

    init(frame: Int, rate: Int) {
        self.frame = frame
        state = speex_preprocess_state_init(Int32(frame), Int32(rate))
        var on: Int32 = 1
        var suppress: Int32 = -15
        speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DENOISE, &on)
        speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &suppress)
        levels = [Double](repeating: -120, count: 3 * rate / frame)
        copy = [Int16](repeating: 0, count: frame)
    }

    deinit { speex_preprocess_state_destroy(state) }

    /// Takes the noise out of one frame in place when the room is noisy.
    func process(_ samples: UnsafeMutablePointer<Int16>) {
        var energy = 0.0
        for i in 0..<frame {
            let x = Double(samples[i])
            energy += x * x
            copy[i] = samples[i]
        }
        levels[next] = 10 * log10(energy / Double(frame) / (32768 * 32768) + 1e-12)
        next = (next + 1) % levels.count
        copy.withUnsafeMutableBufferPointer { _ = speex_preprocess_run(state, $0.baseAddress!) }
        guard (levels.min() ?? -120) > Self.loudFloor else { return }
        for i in 0..<frame { samples[i] = copy[i] }
    }
}
