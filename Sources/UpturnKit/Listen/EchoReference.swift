import Foundation
import Synchronization

/// The exact mix the player wrote to its sink, kept for the listening thread: the echo
/// canceller's reference. The audio thread records each block as it goes to the sink with
/// the sink's delay at that moment (`snd_pcm_delay`); the listening thread asks for the
/// frames being heard now. A drop (pause, skip) takes the frames still queued back out, so
/// the record stays in the order the speaker plays it.
public final class EchoReference: Sendable {
    public let rate: Int
    private struct State {
        var ring: [Int16]
        /// Frames written, in all (the ring holds the last `ring.count`).
        var written = 0
        /// Frames queued in the sink after the last write, and when that was.
        var pending = 0
        var at = 0.0
    }
    private let state: Mutex<State>
    /// Until when (`MonotonicClock` seconds) the player is ducked: someone is talking over it.
    private let duckedUntil = Mutex(0.0)

    /// Barge-in: the player plays 15 dB quieter from now until `seconds` after the last call
    /// (smart speakers do the same after their wake word), so a command lands in quiet. The
    /// reference records what was really played, ducked.
    public func duck(forSeconds seconds: Double = EchoReference.duckSeconds) {
        let until = MonotonicClock.now + seconds
        duckedUntil.withLock { $0 = max($0, until) }
    }

    /// Whether the player is to be ducked now.
    var isDucked: Bool { duckedUntil.withLock { $0 } > MonotonicClock.now }

    /// How long a duck lasts after the last talk heard: 2 s.
    public static let duckSeconds = 2.0
    /// The ducked gain: -15 dB.
    static let duckGain: Float = 0.177_827_94

    /// Keeps `seconds` of the mix (more than the sink's buffer and the echo's delay).
    public init(rate: Int, seconds: Double = 4) {
        self.rate = rate
        state = Mutex(State(ring: [Int16](repeating: 0, count: Int(Double(rate) * seconds))))
    }

    /// `sink`, recording into this reference what it plays.
    public func tap(_ sink: any AudioSink) -> any AudioSink { EchoTapSink(sink, reference: self) }

    /// The audio thread wrote `samples`; `pending` frames are queued in the sink now.
    func wrote(_ samples: UnsafeBufferPointer<Int16>, pending: Int) {
        let now = MonotonicClock.now
        state.withLock { state in
            let size = state.ring.count
            for (i, sample) in samples.suffix(size).enumerated() {
                state.ring[(state.written + max(0, samples.count - size) + i) % size] = sample
            }
            state.written += samples.count
            state.pending = max(0, min(pending, state.written))
            state.at = now
        }
    }

    /// The sink dropped what it held: `pending` frames will never be heard.
    func dropped(pending: Int) {
        let now = MonotonicClock.now
        state.withLock { state in
            state.written -= max(0, min(pending, state.written))
            state.pending = 0
            state.at = now
        }
    }

    /// The frame being heard from the speaker now: written less queued, moved on by the time
    /// since (never past what was written).
    public func heardPosition() -> Int {
        let now = MonotonicClock.now
        return state.withLock { state in
            let played = Int((now - state.at) * Double(rate))
            return state.written - max(0, state.pending - played)
        }
    }

    /// Frames [start, start + count) of the mix as floats; silence where none was written or
    /// the ring no longer holds it.
    func frames(from start: Int, count: Int, into output: inout [Float]) {
        output.removeAll(keepingCapacity: true)
        state.withLock { state in
            let size = state.ring.count
            for position in start..<start + count {
                if position < 0 || position >= state.written || position < state.written - size {
                    output.append(0)
                } else {
                    output.append(Float(state.ring[position % size]) / 32768)
                }
            }
        }
    }
}

/// A sink that records what it plays into an `EchoReference`, for a voice control.
final class EchoTapSink: AudioSink {
    private let inner: any AudioSink
    let reference: EchoReference
    /// The gain now (1 but while ducked), moved toward its target over 50 ms. At 1 the
    /// samples pass untouched: with nobody talking, what plays is exactly what `render` makes.
    private var gain: Float = 1
    private var scratch: [Int16] = []

    init(_ inner: any AudioSink, reference: EchoReference) {
        self.inner = inner
        self.reference = reference
    }

    var rate: Int { inner.rate }
    var blockFrames: Int { inner.blockFrames }

    func write(_ samples: UnsafeBufferPointer<Int16>, wakeFD: Int32?) throws(UpturnError) -> Int {
        let target: Float = reference.isDucked ? EchoReference.duckGain : 1
        guard gain != 1 || target != 1 else {
            let taken = try inner.write(samples, wakeFD: wakeFD)
            reference.wrote(UnsafeBufferPointer(rebasing: samples[0..<taken]), pending: inner.pendingFrames())
            return taken
        }
        let step: Float = (1 - EchoReference.duckGain) / Float(max(1, rate / 20))
        let start = gain
        func ramped(after count: Int) -> Float {
            let moved = step * Float(count)
            return target < start ? max(target, start - moved) : min(target, start + moved)
        }
        if scratch.count < samples.count { scratch = [Int16](repeating: 0, count: samples.count) }
        for i in 0..<samples.count {
            let value: Float = (Float(samples[i]) * ramped(after: i)).rounded()
            scratch[i] = Int16(max(-32768, min(32767, value)))
        }
        let taken = try scratch.withUnsafeBufferPointer { all throws(UpturnError) in
            let ducked = UnsafeBufferPointer(rebasing: all[0..<samples.count])
            let taken = try inner.write(ducked, wakeFD: wakeFD)
            reference.wrote(UnsafeBufferPointer(rebasing: ducked[0..<taken]), pending: inner.pendingFrames())
            return taken
        }
        gain = ramped(after: taken)
        return taken
    }

    func drop() {
        let pending = inner.pendingFrames()
        inner.drop()
        reference.dropped(pending: pending)
    }

    func reopen() throws(UpturnError) { try inner.reopen() }
    func pendingFrames() -> Int { inner.pendingFrames() }
    func finish() throws(UpturnError) { try inner.finish() }
    func abort() {
        let pending = inner.pendingFrames()
        inner.abort()
        reference.dropped(pending: pending)
    }
}
