/// Every cue key the engine speaks, with the template variables it may use. The engine
/// names keys by these static members (`CueKey.holdHalfway`), never by strings, so a typo is
/// a compile error; `upturn schema pack`, `upturn pack keys` and the shipped packs are
/// checked against `all` by tests.
public struct CueKey: Sendable, Hashable, CustomStringConvertible {
    /// The key as packs and plans write it: "hold.halfway".
    public let key: String
    public let variables: [String]
    /// What the key is for, as `upturn pack keys` says it.
    public let about: String

    init(_ key: String, variables: [String], about: String) {
        self.key = key
        self.variables = variables
        self.about = about
    }

    public var description: String { key }

    /// The key of that name, if there is one.
    public init?(named name: String) {
        guard let found = Self.byName[name] else { return nil }
        self = found
    }

    private static let byName: [String: CueKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })

    public static let sessionWelcome = CueKey("session.welcome", variables: ["title", "minutes", "duration", "steps"], about: "opens every session")
    public static let sessionSafety = CueKey("session.safety", variables: [], about: "the safety preamble of a first session")
    public static let sessionUpright = CueKey("session.upright", variables: [], about: "the closing cue on every way out of an inverted step")
    public static let sessionEnd = CueKey("session.end", variables: ["title"], about: "the last words of a session")
    public static let tiltBack = CueKey("tilt.back", variables: ["angle"], about: "a tilt step to an angle above 0")
    public static let tiltUpright = CueKey("tilt.upright", variables: [], about: "a tilt step back to 0")
    public static let holdStart = CueKey("hold.start", variables: ["duration", "seconds", "minutes"], about: "a hold without an exercise name")
    public static let holdExercise = CueKey("hold.exercise", variables: ["exercise", "duration", "seconds", "minutes"], about: "a hold with an exercise name")
    public static let holdHalfway = CueKey("hold.halfway", variables: [], about: "halfway through a hold")
    public static let holdLeft = CueKey("hold.left", variables: ["seconds"], about: "seconds left in a hold")
    public static let holdEnd = CueKey("hold.end", variables: [], about: "the end of a hold, after the bell")
    public static let repsStart = CueKey("reps.start", variables: ["count"], about: "reps without an exercise name")
    public static let repsExercise = CueKey("reps.exercise", variables: ["exercise", "count"], about: "reps with an exercise name")
    public static let repsCount = CueKey("reps.count", variables: ["n", "count"], about: "the count at the start of each rep")
    public static let repsDone = CueKey("reps.done", variables: ["count", "exercise"], about: "after the last rep")
    public static let restStart = CueKey("rest.start", variables: ["duration", "seconds", "minutes"], about: "a rest upright")
    public static let waitReminder = CueKey("wait.reminder", variables: [], about: "a wait step without its own reminder")
    public static let transportPaused = CueKey("transport.paused", variables: [], about: "said softly when a session is paused")
    public static let transportResuming = CueKey("transport.resuming", variables: [], about: "the lead-in when a paused session goes on")
    public static let transportAudioBack = CueKey("transport.audio-back", variables: [], about: "when a lost audio device has come back")
    public static let safetyCheckIn = CueKey("safety.check-in", variables: [], about: "asked during long inverted holds with --alone; a press answers")
    public static let safetyAnswered = CueKey("safety.answered", variables: [], about: "said softly when a check-in is answered")
    public static let todayFallback = CueKey("today.fallback", variables: [], about: "opens the first-time session when the history cannot be used")
    public static let serveToday = CueKey("serve.today", variables: ["program", "level", "angle", "minutes", "duration"], about: "upturn serve, after a press: what today holds")
    public static let serveChoices = CueKey("serve.choices", variables: ["list"], about: "upturn serve, after a long press: the other sessions")
    public static let serveChoice = CueKey("serve.choice", variables: ["program", "minutes", "duration"], about: "upturn serve: one of the other sessions")
    public static let serveWaiting = CueKey("serve.waiting", variables: [], about: "upturn serve: no second press came; back to waiting")
    public static let webPair = CueKey("web.pair", variables: ["code"], about: "serve --web: the code a phone pairs with, digit by digit")
    public static let webAddress = CueKey("web.address", variables: ["address", "port"], about: "serve --web, the first time: where the companion page is")
    public static let webSay = CueKey("web.say", variables: ["text"], about: "serve --web: a line of a plan, said on the box from the plan editor")
    public static let angleUprightPose = CueKey("angle.upright-pose", variables: [], about: "upturn angle calibrate: the first pose")
    public static let angleLevelPose = CueKey("angle.level-pose", variables: [], about: "upturn angle calibrate: the second pose")
    public static let angleCalibrated = CueKey("angle.calibrated", variables: [], about: "upturn angle calibrate: done")
    public static let angleLost = CueKey("angle.lost", variables: [], about: "--angle: the sensor was lost during a session")
    public static let tiltReached = CueKey("tilt.reached", variables: ["angle"], about: "--angle: the table reached a tilt's angle; its hold begins")
    public static let tiltNotReached = CueKey("tilt.not-reached", variables: ["angle"], about: "--angle: the table did not reach the angle in time; the session goes on")
    public static let tiltTooFar = CueKey("tilt.too-far", variables: ["angle"], about: "--angle: the table is 10 degrees or more past the plan's angle")
    public static let uprightConfirmed = CueKey("session.upright-confirmed", variables: [], about: "--angle: the table is upright again after a return or the closing")

    /// Every key, in the order `upturn pack keys` lists them.
    public static let all: [CueKey] = [
        sessionWelcome,
        sessionSafety,
        sessionUpright,
        sessionEnd,
        tiltBack,
        tiltUpright,
        holdStart,
        holdExercise,
        holdHalfway,
        holdLeft,
        holdEnd,
        repsStart,
        repsExercise,
        repsCount,
        repsDone,
        restStart,
        waitReminder,
        transportPaused,
        transportResuming,
        transportAudioBack,
        safetyCheckIn,
        safetyAnswered,
        todayFallback,
        serveToday,
        serveChoices,
        serveChoice,
        serveWaiting,
        webPair,
        webAddress,
        webSay,
        angleUprightPose,
        angleLevelPose,
        angleCalibrated,
        angleLost,
        tiltReached,
        tiltNotReached,
        tiltTooFar,
        uprightConfirmed,
    ]

    public static let names: [String] = all.map(\.key)
    /// Variables every template may use, whatever its key.
    public static let commonVariables = ["step", "steps", "next", "title"]
    public static let soundNames = SoundKey.allCases.map(\.rawValue)

    public static func variables(for key: String) -> [String] {
        (all.first { $0.key == key }?.variables ?? []) + commonVariables
    }
}

/// The named sounds of a pack.
public enum SoundKey: String, CaseIterable, Sendable {
    /// The end of a hold.
    case bell
    /// A rep's beat.
    case tick
    /// The countdown over a hold's last three seconds (optional in a pack).
    case beep
}

/// A cue text with `{name}` variables.
public enum Template {
    /// The names of the variables in a template, or nil with the reason when braces do not match.
    public static func variables(in template: String) -> (names: [String], error: String?) {
        var names: [String] = []
        var current: String?
        for c in template {
            if c == "{" {
                if current != nil { return (names, "'{' inside a variable") }
                current = ""
            } else if c == "}" {
                guard let name = current else { return (names, "'}' without '{'") }
                names.append(name)
                current = nil
            } else if current != nil {
                current!.append(c)
            }
        }
        if current != nil { return (names, "'{' is never closed") }
        return (names, nil)
    }

    /// Fills in the variables; one that has no value is left as its name.
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = ""
        var current: String?
        for c in template {
            if c == "{" {
                current = ""
            } else if c == "}", let name = current {
                out += values[name] ?? name
                current = nil
            } else if current != nil {
                current!.append(c)
            } else {
                out.append(c)
            }
        }
        return out
    }
}
