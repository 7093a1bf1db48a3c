/// One thing that happens at a frame of the session.
public struct TimelineEvent: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case speech, sound, step
    }

    public var frame: Int
    public var kind: Kind
    /// The cue key (`hold.halfway`), sound name (`bell`), `say` for literal text, or `step.KIND`.
    public var key: String
    /// The words, for speech; the step's title, for steps.
    public var text: String?
    /// The step the event belongs to: 0 for the opening, 1... for the plan's steps, then the finish.
    public var step: Int
    /// The audio of a speech or sound event, and its length in frames.
    public var clip: ClipSource?
    public var length: Int
    /// For step events: the table's angle during the step, and whether the user is inverted.
    public var angle: Int
    public var inverted: Bool

    public var end: Int { frame + length }

    public init(
        frame: Int, kind: Kind, key: String, text: String?, step: Int, clip: ClipSource?, length: Int, angle: Int,
        inverted: Bool
    ) {
        self.frame = frame
        self.kind = kind
        self.key = key
        self.text = text
        self.step = step
        self.clip = clip
        self.length = length
        self.angle = angle
        self.inverted = inverted
    }
}

/// A step's place on the timeline.
public struct StepSpan: Equatable, Sendable {
    public var index: Int
    public var title: String
    public var kind: StepKind
    public var start: Int
    public var end: Int
    public var angle: Int
    public var inverted: Bool
}

/// A session laid out frame by frame: pure data, the same for the same inputs.
public struct Timeline: Equatable, Sendable {
    public var rate: Int
    /// The session's length in frames.
    public var frames: Int
    /// Sorted by frame; a step event comes before the cues at its frame.
    public var events: [TimelineEvent]
    public var steps: [StepSpan]
    /// What plays when a session is stopped while inverted: "Slowly return upright", at frames
    /// counted from the moment it starts.
    public var closing: [TimelineEvent]
    public var closingFrames: Int

    public init(
        rate: Int, frames: Int, events: [TimelineEvent], steps: [StepSpan], closing: [TimelineEvent], closingFrames: Int
    ) {
        self.rate = rate
        self.frames = frames
        self.events = events
        self.steps = steps
        self.closing = closing
        self.closingFrames = closingFrames
    }

    /// The session's length as it is said aloud ("about 12 minutes"): whole minutes, at least one.
    public var spokenMinutes: Int { Self.spokenMinutes(frames: frames, rate: rate) }

    static func spokenMinutes(frames: Int, rate: Int) -> Int {
        max(1, Int((Double(frames) / Double(rate) / 60).rounded()))
    }

    /// The step playing at `frame`.
    public func step(at frame: Int) -> StepSpan? {
        var found: StepSpan?
        for span in steps where span.start <= frame { found = span }
        return found
    }

    /// The frame of the first sound: everything before it is silence (the lead-in).
    public var firstSoundFrame: Int {
        events.first { $0.kind != .step }?.frame ?? frames
    }

    /// True while the person is still tilted at `frame`: in an inverted step, or in the step
    /// that brings the table back to 0 after one (its "Slowly return upright" and settling
    /// time, counted in full as the inverted-time cap counts it), or in the finish of a plan
    /// that ended tilted.
    public func isTilted(at frame: Int) -> Bool {
        guard let span = step(at: frame) else { return false }
        if span.inverted { return true }
        guard span.kind == .tilt || span.kind == .finish, let i = steps.firstIndex(of: span), i > 0 else { return false }
        return steps[i - 1].inverted
    }

    /// What the player says between two frames: the text of its speech events that overlap
    /// them, in order (voice control asks more of a phrase heard while the player says its
    /// words).
    public func said(from start: Int, to end: Int) -> String {
        events.lazy.filter { $0.kind == .speech && $0.frame < end && $0.end > start }.compactMap(\.text).joined(separator: " ")
    }

    /// The cues that bring the person back upright ("Slowly return upright"): a skip never
    /// cuts one, nor jumps past one from a tilted step.
    public var uprightCues: [TimelineEvent] {
        events.filter { $0.kind == .speech && ($0.key == CueKey.tiltUpright.key || $0.key == CueKey.sessionUpright.key) }
    }

    /// The audible events (speech and sound) of a list.
    public var cues: [TimelineEvent] { events.filter { $0.kind != .step } }

    public func seconds(_ frame: Int) -> Double { Double(frame) / Double(rate) }
}
