import Synchronization

/// Voice control's switch and level, shared between the listening thread and whoever shows
/// them (the companion page): off, the listener still hears and meters, but acts on nothing;
/// the level is the loudest of the last block (about 0.1 s), in dBFS, as `upturn listen`'s
/// meter shows it.
public final class VoiceGate: Sendable {
    private let on: Atomic<Bool>
    /// dBFS × 10 (an atomic integer); -960 until the microphone has given anything.
    private let decibels = Atomic<Int>(-960)
    /// The microphone's ALSA name.
    public let device: String

    public init(device: String, on: Bool = true) {
        self.device = device
        self.on = Atomic(on)
    }

    public var isOn: Bool { on.load(ordering: .relaxed) }
    public func set(on value: Bool) { on.store(value, ordering: .relaxed) }

    public var level: Double { Double(decibels.load(ordering: .relaxed)) / 10 }
    func record(level dBFS: Double) { decibels.store(Int((max(-96, dBFS) * 10).rounded()), ordering: .relaxed) }
}
