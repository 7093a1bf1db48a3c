/// The safety check-ins of a session for someone alone: once a question ("Still comfortable?
/// Press to continue.") has been written out, a press must come within `answerFrames` of
/// session time, or the session goes to its closing. Counted in session frames, so a paused
/// session does not run the clock down; pure, so it is tested without audio.
struct CheckInWatchdog {
    /// What the player must do after frames were written.
    enum Verdict: Equatable {
        case nothing
        /// A question has just been heard: wait for its answer.
        case asked
        /// Nobody answered in time: go to the closing.
        case unanswered
    }

    private let questions: [TimelineEvent]
    private let answerFrames: Int
    private var next = 0
    /// The frame by which the question asked must be answered.
    private(set) var answerBy: Int?
    /// A question went unanswered this session.
    private(set) var missed = false

    init(timeline: Timeline, answerSeconds: Double) {
        questions = timeline.events.filter { $0.key == CueKey.safetyCheckIn.key }
        answerFrames = Int(answerSeconds * Double(timeline.rate))
    }

    var isWaiting: Bool { answerBy != nil }

    /// The main timeline has been written up to `frame`.
    mutating func written(upTo frame: Int) -> Verdict {
        if let deadline = answerBy {
            guard frame >= deadline else { return .nothing }
            answerBy = nil
            missed = true
            return .unanswered
        }
        guard next < questions.count, frame >= questions[next].end else { return .nothing }
        answerBy = questions[next].end + answerFrames
        next += 1
        return .asked
    }

    /// A press answered the question.
    mutating func answer() { answerBy = nil }

    /// The session jumped (skip, back): questions before `frame` are not asked any more.
    mutating func jumped(to frame: Int) {
        answerBy = nil
        next = questions.firstIndex { $0.end > frame } ?? questions.count
    }
}
