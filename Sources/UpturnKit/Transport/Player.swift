/// Plays a timeline to a sink: the audio loop. Session time is counted in frames written,
/// never in wall-clock time, so cues never drift and an unpaced device plays a whole session
/// as fast as it takes the frames.
public final class Player {
    public enum Outcome: Equatable, Sendable {
        case finished
        /// Stopped while upright: ended at once.
        case stopped
        /// Stopped while inverted: the closing "return upright" segment was played.
        case stoppedWithClosing
    }

    public let timeline: Timeline
    public let blockFrames: Int
    private let clips: any ClipProviding
    private let gain: Float
    private let sink: any AudioSink
    private let status: StatusLine?
    /// Asked between blocks: how many stop requests have arrived.
    private let stopRequests: () -> Int
    /// Called once, after the first frames reach the sink (the benchmark's start figure).
    public var onFirstWrite: (() -> Void)?

    public init(
        timeline: Timeline, clips: any ClipProviding, sink: any AudioSink, gain: Float = 1, blockFrames: Int = 1024,
        status: StatusLine? = nil, stopRequests: @escaping () -> Int = { StopRequest.pending }
    ) {
        self.timeline = timeline
        self.clips = clips
        self.sink = sink
        self.gain = gain
        self.blockFrames = blockFrames
        self.status = status
        self.stopRequests = stopRequests
    }

    /// Plays to the end, or to a stop. The sink is finished (drained and closed) on every
    /// path, errors included, so a WAV header or device is never left half-written.
    public func play() throws(UpturnError) -> Outcome {
        do {
            let outcome = try run()
            status?.clear()
            try sink.finish()
            return outcome
        } catch {
            status?.clear()
            sink.abort()
            throw error
        }
    }

    private func run() throws(UpturnError) -> Outcome {
        let renderer = Renderer(timeline: timeline, clips: clips, gain: gain)
        var block = [Int16](repeating: 0, count: blockFrames)
        let statusEvery = max(1, timeline.rate / 4 / blockFrames)
        var blocks = 0
        while true {
            if stopRequests() > 0 {
                let heard = max(0, renderer.position - sink.pendingFrames())
                let inverted = timeline.step(at: heard)?.inverted ?? false
                guard inverted else { return .stopped }
                try write(&block) { out throws(UpturnError) in try renderer.fadeOut(into: out) }
                try playClosing(&block)
                return .stoppedWithClosing
            }
            let n = try write(&block) { out throws(UpturnError) in try renderer.render(into: out) }
            if n == 0 { return .finished }
            blocks += 1
            if let status, blocks % statusEvery == 0 {
                status.update(frame: max(0, renderer.position - sink.pendingFrames()))
            }
        }
    }

    /// The closing segment: "Slowly return upright", then the end. A second stop request
    /// during it ends at once.
    private func playClosing(_ block: inout [Int16]) throws(UpturnError) {
        let requests = stopRequests()
        let closing = Renderer(events: timeline.closing, frames: timeline.closingFrames, clips: clips, gain: gain)
        while stopRequests() == requests {
            let n = try write(&block) { out throws(UpturnError) in try closing.render(into: out) }
            if n == 0 { return }
        }
    }

    @discardableResult
    private func write(
        _ block: inout [Int16], _ fill: (UnsafeMutableBufferPointer<Int16>) throws(UpturnError) -> Int
    ) throws(UpturnError) -> Int {
        let n = try block.withUnsafeMutableBufferPointer { out throws(UpturnError) in try fill(out) }
        if n > 0 {
            try block.withUnsafeBufferPointer { buffer throws(UpturnError) in
                try sink.write(UnsafeBufferPointer(rebasing: buffer[0..<n]))
            }
            if let onFirstWrite {
                self.onFirstWrite = nil
                onFirstWrite()
            }
        }
        return n
    }
}
