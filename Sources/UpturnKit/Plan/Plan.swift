/// A validated session plan: what to say and do, in order. Built by `PlanReader`.
public struct Plan: Equatable, Sendable {
    public var title: String
    /// The cue pack the plan prefers, by name or folder.
    public var pack: String?
    /// Open with the safety preamble (someone on hand, doctor first).
    public var preamble: Bool
    /// The longest continuous inverted stretch the plan may hold, in milliseconds.
    public var maxInvertedMilliseconds: Int
    public var steps: [Step]
    /// A background track under the voice.
    public var music: Music?

    public struct Music: Equatable, Sendable {
        /// The file, resolved against the plan's folder.
        public var path: String
        /// Its level, and how much lower it goes under a cue, in dB.
        public var levelDB: Double
        public var duckDB: Double
        public var loop: Bool
        public init(path: String, levelDB: Double = -20, duckDB: Double = -12, loop: Bool = true) {
            self.path = path
            self.levelDB = levelDB
            self.duckDB = duckDB
            self.loop = loop
        }
    }

    public init(
        title: String, pack: String? = nil, preamble: Bool = false,
        maxInvertedMilliseconds: Int = Plan.defaultMaxInvertedMilliseconds, steps: [Step]
    ) {
        self.title = title
        self.pack = pack
        self.preamble = preamble
        self.maxInvertedMilliseconds = maxInvertedMilliseconds
        self.steps = steps
    }

    /// Five minutes: the cap on continuous inverted time unless a plan says otherwise.
    public static let defaultMaxInvertedMilliseconds = 5 * 60_000
    /// Twelve hours: no session may last longer.
    public static let maxSessionMilliseconds = 12 * 3_600_000
    /// Fifteen minutes: no plan may raise its cap above this.
    public static let hardMaxInvertedMilliseconds = 15 * 60_000
}

/// One step of a plan.
public struct Step: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        /// Speak literal text in the pack's voice.
        case say(text: String)
        /// Speak one of the pack's cues by key.
        case cue(CueKey)
        /// Tilt the table to an angle (0 is upright), then allow time to get there.
        case tilt(angle: Int, settleMilliseconds: Int)
        case hold(Hold)
        case reps(Reps)
        /// Rest upright.
        case rest(milliseconds: Int)
        /// Wait for a press, with a spoken reminder; never longer than the timeout.
        case wait(reminder: String?, timeoutMilliseconds: Int)
    }

    public struct Hold: Equatable, Sendable {
        public var milliseconds: Int
        public var exercise: String?
        public var halfway: Bool
        /// "N seconds left" cues, in seconds before the end.
        public var countdown: [Int]
        /// Cues at offsets inside the hold.
        public var cues: [TimedCue]

        public init(milliseconds: Int, exercise: String? = nil, halfway: Bool = true, countdown: [Int] = [10], cues: [TimedCue] = []) {
            self.milliseconds = milliseconds
            self.exercise = exercise
            self.halfway = halfway
            self.countdown = countdown
            self.cues = cues
        }
    }

    public struct TimedCue: Equatable, Sendable {
        public var atMilliseconds: Int
        public var text: String
        public init(atMilliseconds: Int, text: String) {
            self.atMilliseconds = atMilliseconds
            self.text = text
        }
    }

    public struct Reps: Equatable, Sendable {
        public var count: Int
        public var exercise: String?
        /// Down, hold and up phases of one rep, in milliseconds ("2-1-2").
        public var tempoMilliseconds: [Int]
        /// Speak the count at the start of each rep (otherwise tick).
        public var counted: Bool

        public init(count: Int, exercise: String? = nil, tempoMilliseconds: [Int] = [2000, 1000, 2000], counted: Bool = true) {
            self.count = count
            self.exercise = exercise
            self.tempoMilliseconds = tempoMilliseconds
            self.counted = counted
        }
    }

    public var action: Action
    /// Shown by `show` and the status line; derived from the action unless the plan names it.
    public var title: String

    public init(_ action: Action, title: String? = nil) {
        self.action = action
        self.title = title ?? Step.defaultTitle(for: action)
    }

    public static func defaultTitle(for action: Action) -> String {
        switch action {
        case .say: return "Say"
        case .cue(let key): return "Cue \(key.key)"
        case .tilt(let angle, _): return angle == 0 ? "Return upright" : "Tilt to \(angle)°"
        case .hold(let hold): return hold.exercise ?? "Hold"
        case .reps(let reps): return reps.exercise ?? "Reps"
        case .rest: return "Rest upright"
        case .wait: return "Wait for a press"
        }
    }
}
