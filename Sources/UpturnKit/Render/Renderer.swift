/// Where the renderer gets a clip's samples (the `ClipLibrary`, or a fake in tests).
public protocol ClipProviding: AnyObject {
    func samples(of source: ClipSource) throws(UpturnError) -> [Int16]
}

extension ClipLibrary: ClipProviding {}

/// Mixes a timeline's clips into blocks of frames, one block at a time, so a session of any
/// length streams in constant memory. `render` and `play` use the same renderer, so what is
/// heard equals what is written to a file, sample for sample.
public final class Renderer {
    public let frames: Int
    public private(set) var position = 0
    /// 1.0 is unity gain; `play --volume` lowers it.
    public let gain: Float

    private let events: [TimelineEvent]
    private let clips: any ClipProviding
    private var nextEvent = 0
    private var active: [(start: Int, samples: [Int16])] = []
    private var mix: [Int32] = []

    public init(events: [TimelineEvent], frames: Int, clips: any ClipProviding, gain: Float = 1) {
        self.events = events.filter { $0.kind != .step && $0.clip != nil }.sorted { $0.frame < $1.frame }
        self.frames = frames
        self.clips = clips
        self.gain = gain
    }

    public convenience init(timeline: Timeline, clips: any ClipProviding, gain: Float = 1) {
        self.init(events: timeline.events, frames: timeline.frames, clips: clips, gain: gain)
    }

    public var isFinished: Bool { position >= frames }

    /// Fills `out` with the next frames and returns how many it wrote: fewer at the end, 0 after.
    public func render(into out: UnsafeMutableBufferPointer<Int16>) throws(UpturnError) -> Int {
        let count = min(out.count, frames - position)
        guard count > 0 else { return 0 }
        let blockEnd = position + count
        while nextEvent < events.count && events[nextEvent].frame < blockEnd {
            let event = events[nextEvent]
            nextEvent += 1
            if event.frame + event.length <= position { continue }
            active.append((event.frame, try clips.samples(of: event.clip!)))
        }
        if active.isEmpty {
            out.baseAddress!.update(repeating: 0, count: count)
        } else if active.count == 1 && gain == 1 {
            // The common case, one clip: copy it without a mix buffer.
            out.baseAddress!.update(repeating: 0, count: count)
            let clip = active[0]
            copyOverlap(clip, into: out, count: count)
        } else {
            mixActive(into: out, count: count)
        }
        position = blockEnd
        active.removeAll { $0.start + $0.samples.count <= position }
        return count
    }

    private func copyOverlap(_ clip: (start: Int, samples: [Int16]), into out: UnsafeMutableBufferPointer<Int16>, count: Int) {
        let from = max(position, clip.start)
        let to = min(position + count, clip.start + clip.samples.count)
        guard from < to else { return }
        clip.samples.withUnsafeBufferPointer { src in
            (out.baseAddress! + (from - position)).update(from: src.baseAddress! + (from - clip.start), count: to - from)
        }
    }

    private func mixActive(into out: UnsafeMutableBufferPointer<Int16>, count: Int) {
        if mix.count < count { mix = [Int32](repeating: 0, count: count) }
        mix.withUnsafeMutableBufferPointer { acc in
            acc.baseAddress!.update(repeating: 0, count: count)
            for clip in active {
                let from = max(position, clip.start)
                let to = min(position + count, clip.start + clip.samples.count)
                guard from < to else { continue }
                clip.samples.withUnsafeBufferPointer { src in
                    var i = from
                    while i < to {
                        acc[i - position] &+= Int32(src[i - clip.start])
                        i += 1
                    }
                }
            }
            let g = Int32((gain * 32768).rounded())
            for i in 0..<count {
                var v = acc[i]
                if g != 32768 { v = Int32((Int64(v) * Int64(g)) >> 15) }
                out[i] = Int16(clamping: v)
            }
        }
    }

    /// Moves to `frame`: clips that started before it and are still sounding play on from
    /// their middle. The timeline does not change; only the position in it does.
    public func seek(to frame: Int) throws(UpturnError) {
        position = min(max(0, frame), frames)
        active.removeAll()
        var low = 0
        var high = events.count
        while low < high {
            let mid = (low + high) / 2
            if events[mid].frame < position { low = mid + 1 } else { high = mid }
        }
        nextEvent = low
        for event in events[..<low] where event.frame + event.length > position {
            active.append((event.frame, try clips.samples(of: event.clip!)))
        }
    }

    /// A short fade to silence of what would play next: stopping mid-word without a click.
    public func fadeOut(into out: UnsafeMutableBufferPointer<Int16>) throws(UpturnError) -> Int {
        let n = try render(into: out)
        for i in 0..<n {
            let g = Float(n - i) / Float(n + 1)
            out[i] = Int16((Float(out[i]) * g).rounded())
        }
        return n
    }
}
