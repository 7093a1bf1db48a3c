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
    private let clips: any ClipSupply
    private var nextEvent = 0
    private var active: [(start: Int, samples: [Int16])] = []
    /// Clips sounding at a seek's new position whose samples were not there yet.
    private var owed: [TimelineEvent] = []
    private var mix: [Int32] = []

    // Music under the voice, ducked smoothly around every spoken cue.
    private let music: MusicBed?
    private var musicBuffer: [Float] = []
    /// Spans where the music is ducked: each cue, from a little before (so the fade is done
    /// when the first word comes) to a little after.
    private let duckSpans: [(start: Int, end: Int)]
    private var duckIndex = 0
    private var musicGain: Float = 0
    private let attackStep: Float
    private let releaseStep: Float

    public static let duckAttackMilliseconds = 150
    public static let duckReleaseMilliseconds = 600
    public static let duckHoldMilliseconds = 150

    /// A renderer that asks `clips` for each clip as it reaches it, and waits for it (offline
    /// renders and tests; the player gives its own a `ClipLoader`).
    public convenience init(events: [TimelineEvent], frames: Int, clips: any ClipProviding, gain: Float = 1, music: MusicBed? = nil) {
        self.init(events: events, frames: frames, supply: DirectClips(clips), gain: gain, music: music)
    }

    public init(events: [TimelineEvent], frames: Int, supply clips: any ClipSupply, gain: Float = 1, music: MusicBed? = nil) {
        self.events = events.filter { $0.kind != .step && $0.clip != nil }.sorted { $0.frame < $1.frame }
        self.frames = frames
        self.clips = clips
        self.gain = gain
        self.music = music
        let rate = music?.rate ?? 48_000
        let attack = rate * Self.duckAttackMilliseconds / 1000
        let hold = rate * Self.duckHoldMilliseconds / 1000
        var spans: [(start: Int, end: Int)] = []
        for event in self.events where event.kind == .speech {
            let span = (start: event.frame - attack, end: event.end + hold)
            if let last = spans.last, span.start <= last.end {
                spans[spans.count - 1].end = max(last.end, span.end)
            } else {
                spans.append(span)
            }
        }
        duckSpans = spans
        if let music {
            musicGain = music.level
            attackStep = (music.level - music.duckedLevel) / Float(max(1, attack))
            releaseStep = (music.level - music.duckedLevel) / Float(max(1, rate * Self.duckReleaseMilliseconds / 1000))
        } else {
            attackStep = 0
            releaseStep = 0
        }
    }

    public convenience init(timeline: Timeline, clips: any ClipProviding, gain: Float = 1, music: MusicBed? = nil) {
        self.init(events: timeline.events, frames: timeline.frames, clips: clips, gain: gain, music: music)
    }

    public convenience init(timeline: Timeline, supply: any ClipSupply, gain: Float = 1, music: MusicBed? = nil) {
        self.init(events: timeline.events, frames: timeline.frames, supply: supply, gain: gain, music: music)
    }

    public var isFinished: Bool { position >= frames }

    /// Fills `out` with the next frames and returns how many it wrote: fewer at the end, 0
    /// after; nil when a clip the block needs is not there yet (nothing written, nothing
    /// moved: ask again).
    public func render(into out: UnsafeMutableBufferPointer<Int16>) throws(UpturnError) -> Int? {
        let count = min(out.count, frames - position)
        guard count > 0 else { return 0 }
        let blockEnd = position + count
        while let event = owed.first {
            guard let samples = try clips.clip(event.clip!) else { return nil }
            active.append((event.frame, samples))
            owed.removeFirst()
        }
        while nextEvent < events.count && events[nextEvent].frame < blockEnd {
            let event = events[nextEvent]
            if event.frame + event.length <= position {
                nextEvent += 1
                continue
            }
            guard let samples = try clips.clip(event.clip!) else { return nil }
            nextEvent += 1
            active.append((event.frame, samples))
        }
        if music != nil {
            mixActive(into: out, count: count)
        } else if active.isEmpty {
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
            if let music { addMusic(music, into: acc, count: count) }
            let g = Int32((gain * 32768).rounded())
            for i in 0..<count {
                var v = acc[i]
                if g != 32768 { v = Int32((Int64(v) * Int64(g)) >> 15) }
                out[i] = Int16(clamping: v)
            }
        }
    }

    /// Adds the music's next frames, ducking it under cues with a smooth ramp (no clicks,
    /// no pumping: the ramp is done before the cue starts and waits a moment after it).
    private func addMusic(_ music: MusicBed, into acc: UnsafeMutableBufferPointer<Int32>, count: Int) {
        music.next(count, into: &musicBuffer)
        for i in 0..<count {
            let frame = position + i
            while duckIndex < duckSpans.count && duckSpans[duckIndex].end <= frame { duckIndex += 1 }
            let ducked = duckIndex < duckSpans.count && duckSpans[duckIndex].start <= frame
            if ducked {
                musicGain = max(music.duckedLevel, musicGain - attackStep)
            } else {
                musicGain = min(music.level, musicGain + releaseStep)
            }
            acc[i] &+= Int32((musicBuffer[i] * musicGain * 32767).rounded())
        }
    }

    /// Moves to `frame`: clips that started before it and are still sounding play on from
    /// their middle. The timeline does not change; only the position in it does.
    public func seek(to frame: Int) {
        position = min(max(0, frame), frames)
        active.removeAll()
        owed.removeAll()
        var low = 0
        var high = events.count
        while low < high {
            let mid = (low + high) / 2
            if events[mid].frame < position { low = mid + 1 } else { high = mid }
        }
        nextEvent = low
        duckIndex = 0
        owed = events[..<low].filter { $0.frame + $0.length > position }
    }
}
