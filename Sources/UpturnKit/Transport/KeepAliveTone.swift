import Foundation

/// Bluetooth and HDMI outputs that sleep on digital silence swallow a cue's first word: this
/// inaudible 20 Hz tone (about -70 dBFS) is added under everything, and through pauses. Its
/// phase runs on across blocks, so the tone has no clicks.
struct KeepAliveTone {
    private let period: Int
    private var phase = 0

    /// `phase`: frames already played (a pre-roll's), so the tone goes on without a click.
    init(rate: Int, phase: Int = 0) {
        period = max(1, rate / 20)
        self.phase = phase
    }

    /// Adds the tone to the first `count` samples.
    mutating func add(to samples: inout [Int16], count: Int) {
        for i in 0..<count {
            let x = Double(phase % period) / Double(period)
            samples[i] = samples[i] &+ Int16((sin(2 * Double.pi * x) * 10).rounded())
            phase += 1
        }
    }
}
