import Foundation

/// How far a session has come, for the history while it plays: read from another thread.
public struct SessionProgress: Sendable, Equatable {
    public var stepsDone = 0
    public var invertedSeconds = 0.0
    public var highestAngle = 0
    public init(stepsDone: Int = 0, invertedSeconds: Double = 0, highestAngle: Int = 0) {
        self.stepsDone = stepsDone
        self.invertedSeconds = invertedSeconds
        self.highestAngle = highestAngle
    }
}

/// What the player is doing, for `upturn ctl status`.
public struct PlayerSnapshot: Sendable, Equatable {
    public var step = 0
    public var steps = 0
    public var title = ""
    /// The session's title (the plan's), and the step's length in seconds.
    public var session = ""
    public var stepLength = 0.0
    public var seconds = 0.0
    public var paused = false
    public var inverted = false
    public var stepLeft = 0.0
    public var sessionLeft = 0.0
    public var audioLost = false
    /// A safety check-in is waiting for its press.
    public var checkIn = false
    /// How long the person has been tilted without coming upright (as lived), and the cap
    /// on it (nil: none): the companion page's bar.
    public var invertedFor = 0.0
    public var invertedCap: Double?
    /// The table's measured angle (nil: no sensor, or lost); the session waiting for the
    /// table; the alarm (still tilted long after being asked to come up).
    public var angle: Double?
    public var followsTable = false
    public var waitingForTable = false
    public var alarm = false
    /// The session's timeline, for what the player says (`saying`). Not in `json`.
    public var words: PlayerWords?
    public static let sayingWindow = 4.0

    /// What the player said in the last `sayingWindow` seconds up to `seconds` (its
    /// timeline's speech): voice control asks more of a phrase heard while the player says
    /// its words. Worked out by the reader (voice control's thread, when it hears a phrase),
    /// not by the audio thread that publishes the snapshot.
    public var saying: String {
        guard let timeline = words?.timeline else { return "" }
        return Self.saying(in: timeline, at: seconds)
    }

    /// What `timeline` says in the `sayingWindow` seconds up to `seconds`.
    public static func saying(in timeline: Timeline, at seconds: Double) -> String {
        let rate = Double(timeline.rate)
        let frame = Int((seconds * rate).rounded())
        return timeline.said(from: frame - Int(sayingWindow * rate), to: frame + 1)
    }

    public init() {}

    public var json: String {
        func n(_ x: Double) -> String { String(format: "%.1f", x) }
        return "{\"state\": \"playing\", \"step\": \(step), \"steps\": \(steps), \"title\": \(JSONText.string(title)), \"session\": \(JSONText.string(session)), \"step_length\": \(n(stepLength)), \"position\": \(n(seconds)), \"paused\": \(paused), \"inverted\": \(inverted), \"step_left\": \(n(stepLeft)), \"session_left\": \(n(sessionLeft)), \"audio_lost\": \(audioLost), \"check_in\": \(checkIn), \"inverted_for\": \(n(invertedFor)), \"inverted_cap\": \(invertedCap.map(n) ?? "null")"
            + (!followsTable ? "}" : ", \"angle\": \(angle.map(n) ?? "null"), \"waiting_for_table\": \(waitingForTable), \"alarm\": \(alarm)}")
    }
}

/// A session's timeline in a snapshot: handed over by reference (the audio thread copies a
/// pointer), equal only to itself, so comparing snapshots never compares timelines.
public final class PlayerWords: Sendable, Equatable {
    public let timeline: Timeline
    public init(_ timeline: Timeline) { self.timeline = timeline }
    public static func == (lhs: PlayerWords, rhs: PlayerWords) -> Bool { lhs === rhs }

    /// Every word the session may say (its closing too), once each, lowercase.
    public var vocabulary: [String] {
        let texts = (timeline.events + timeline.closing).filter { $0.kind == .speech }.compactMap(\.text)
        return Array(Set(texts.flatMap(VoiceCommands.words)))
    }
}
