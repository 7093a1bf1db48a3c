/// Every cue key the engine speaks, with the template variables it may use.
public struct CueKey: Sendable, Equatable {
    public var key: String
    public var variables: [String]
    public var about: String

    public static let all: [CueKey] = [
        CueKey(key: "session.welcome", variables: ["title", "minutes", "steps"], about: "opens every session"),
        CueKey(key: "session.safety", variables: [], about: "the safety preamble of a first session"),
        CueKey(key: "session.upright", variables: [], about: "the closing cue on every way out of an inverted step"),
        CueKey(key: "session.end", variables: ["title"], about: "the last words of a session"),
        CueKey(key: "tilt.back", variables: ["angle"], about: "a tilt step to an angle above 0"),
        CueKey(key: "tilt.upright", variables: [], about: "a tilt step back to 0"),
        CueKey(key: "hold.start", variables: ["duration", "seconds", "minutes"], about: "a hold without an exercise name"),
        CueKey(key: "hold.exercise", variables: ["exercise", "duration", "seconds", "minutes"], about: "a hold with an exercise name"),
        CueKey(key: "hold.halfway", variables: [], about: "halfway through a hold"),
        CueKey(key: "hold.left", variables: ["seconds"], about: "seconds left in a hold"),
        CueKey(key: "hold.end", variables: [], about: "the end of a hold, after the bell"),
        CueKey(key: "reps.start", variables: ["count"], about: "reps without an exercise name"),
        CueKey(key: "reps.exercise", variables: ["exercise", "count"], about: "reps with an exercise name"),
        CueKey(key: "reps.count", variables: ["n", "count"], about: "the count at the start of each rep"),
        CueKey(key: "reps.done", variables: ["count", "exercise"], about: "after the last rep"),
        CueKey(key: "rest.start", variables: ["duration", "seconds", "minutes"], about: "a rest upright"),
        CueKey(key: "wait.reminder", variables: [], about: "a wait step without its own reminder"),
        CueKey(key: "transport.paused", variables: [], about: "said softly when a session is paused"),
        CueKey(key: "transport.resuming", variables: [], about: "the lead-in when a paused session goes on"),
        CueKey(key: "transport.audio-back", variables: [], about: "when a lost audio device has come back"),
        CueKey(key: "safety.check-in", variables: [], about: "asked during long inverted holds with --alone; a press answers"),
        CueKey(key: "safety.answered", variables: [], about: "said softly when a check-in is answered"),
        CueKey(key: "today.fallback", variables: [], about: "opens the first-time session when the history cannot be used"),
        CueKey(
            key: "serve.today", variables: ["program", "level", "angle", "minutes"],
            about: "upturn serve, after a press: what today holds"),
        CueKey(key: "serve.choices", variables: ["list"], about: "upturn serve, after a long press: the other sessions"),
        CueKey(key: "serve.choice", variables: ["program", "minutes"], about: "upturn serve: one of the other sessions"),
        CueKey(key: "serve.waiting", variables: [], about: "upturn serve: no second press came; back to waiting"),
    ]

    public static let names: [String] = all.map(\.key)
    /// Variables every template may use, whatever its key.
    public static let commonVariables = ["step", "steps", "next", "title"]
    public static let soundNames = ["bell", "tick", "beep"]

    public static func variables(for key: String) -> [String] {
        (all.first { $0.key == key }?.variables ?? []) + commonVariables
    }
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
