/// The kinds of step: the seven a plan may hold, and the two the engine adds around them
/// (the welcome before the first and the finish after the last). The reader, the compiler,
/// the player and the progression switch over this enum, never over strings; a test checks
/// `upturn schema plan` against `inPlans` and `keys`.
public enum StepKind: String, CaseIterable, Sendable {
    case welcome
    case say, cue, tilt, hold, reps, rest, wait
    case finish

    /// The kinds a plan may write, in the order the schema and the messages list them.
    public static let inPlans: [StepKind] = [.say, .cue, .tilt, .hold, .reps, .rest, .wait]

    /// The keys a step of this kind may have in a plan: its own name first.
    public var keys: [String] {
        switch self {
        case .say: return ["say", "title"]
        case .cue: return ["cue", "title"]
        case .tilt: return ["tilt", "settle", "title"]
        case .hold: return ["hold", "exercise", "halfway", "countdown", "cues", "title"]
        case .reps: return ["reps", "exercise", "tempo", "count", "title"]
        case .rest: return ["rest", "title"]
        case .wait: return ["wait", "timeout", "title"]
        case .welcome, .finish: return []
        }
    }
}

extension Step.Action {
    /// The kind of step this action makes.
    public var kind: StepKind {
        switch self {
        case .say: return .say
        case .cue: return .cue
        case .tilt: return .tilt
        case .hold: return .hold
        case .reps: return .reps
        case .rest: return .rest
        case .wait: return .wait
        }
    }
}
