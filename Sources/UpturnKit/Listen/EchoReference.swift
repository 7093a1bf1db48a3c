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

    init(_ inner: any AudioSink, reference: EchoReference) {
        self.inner = inner
        self.reference = reference
    }

    var rate: Int { inner.rate }
    var blockFrames: Int { inner.blockFrames }

    func write(_ samples: UnsafeBufferPointer<Int16>, wakeFD: Int32?) throws(UpturnError) -> Int {
        let taken = try inner.write(samples, wakeFD: wakeFD)
        reference.wrote(UnsafeBufferPointer(rebasing: samples[0..<taken]), pending: inner.pendingFrames())
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
