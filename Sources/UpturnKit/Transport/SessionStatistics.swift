/// What a session did, for the history: frames played while inverted, the steepest angle
/// reached, and how far into the timeline it got. Counted from frames written to the sink,
/// so skipped and rewound parts count as they were lived.
public struct SessionStatistics: Sendable, Equatable {
    public private(set) var invertedFrames = 0
    public private(set) var highestAngle = 0
    public private(set) var furthestFrame = 0

    public init() {}

    /// `written` frames of the main timeline reached the sink, ending at `frame`.
    mutating func account(_ written: Int, endingAt frame: Int, in timeline: Timeline) {
        furthestFrame = max(furthestFrame, frame)
        if let span = timeline.step(at: max(0, frame - 1)) {
            if span.inverted { invertedFrames += written }
            highestAngle = max(highestAngle, span.angle)
        }
    }

    /// The plan's steps (1...stepCount) played to their end.
    func stepsDone(in timeline: Timeline, stepCount: Int) -> Int {
        timeline.steps.filter { $0.index >= 1 && $0.index <= stepCount && $0.end <= furthestFrame }.count
    }
}
