/// What a session did, for the history: the steepest angle reached, and which steps were
/// played through. Counted from frames written to the sink, so skipped and replayed parts
/// count as they were lived: a skipped step is not done. (Time inverted, as lived, is
/// `InvertedTimer`'s.)
public struct SessionStatistics: Sendable, Equatable {
    public private(set) var highestAngle = 0
    /// For each step (by index), how far from its start it has been played without a gap.
    private var coveredTo: [Int: Int] = [:]
    private var furthest = 0

    public init() {}

    /// Frames `frame - written ..< frame` of the main timeline reached the sink.
    mutating func account(_ written: Int, endingAt frame: Int, in timeline: Timeline) {
        let range = (frame - written)..<frame
        furthest = max(furthest, frame)
        for span in timeline.steps where span.start < range.upperBound && range.lowerBound < span.end {
            let low = max(span.start, range.lowerBound), high = min(span.end, range.upperBound)
            let covered = coveredTo[span.index] ?? span.start
            if low <= covered { coveredTo[span.index] = max(covered, high) }
            highestAngle = max(highestAngle, span.angle)
        }
    }

    /// A step the table made short (a tilt reached before its settle time was over, a return
    /// upright before its words' time): done, as if played through.
    mutating func completed(_ span: StepSpan) {
        coveredTo[span.index] = span.end
        furthest = max(furthest, span.end)
    }

    /// The plan's steps (1...stepCount) played through: every frame of them written, with
    /// no gap (a back replays; a skip leaves frames out).
    func stepsDone(in timeline: Timeline, stepCount: Int) -> Int {
        timeline.steps.filter { span in
            guard span.index >= 1 && span.index <= stepCount else { return false }
            if span.end == span.start { return furthest >= span.end }
            return (coveredTo[span.index] ?? span.start) >= span.end
        }.count
    }
}
