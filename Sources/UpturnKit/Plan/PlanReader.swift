import Foundation

/// Reads a session plan from JSON5 text, reporting every problem at once.
public enum PlanReader {
    public static let maxSteps = 400
    public static let maxHoldMilliseconds = 30 * 60_000
    public static let maxRestMilliseconds = 30 * 60_000
    public static let maxWaitMilliseconds = 10 * 60_000
    public static let maxSettleMilliseconds = 2 * 60_000
    public static let maxReps = 200
    public static let maxAngle = 90
    public static let defaultWaitMilliseconds = 30_000
    public static let defaultTiltSettleMilliseconds = 8_000
    public static let defaultUprightSettleMilliseconds = 10_000

    static let topKeys = ["title", "description", "pack", "preamble", "maxInverted", "music", "steps"]
    static let kindKeys = StepKind.inPlans.map(\.rawValue)

    /// Reads a plan file. Missing or unreadable files are exit 66; every problem inside is exit 65.
    public static func read(file path: String) throws(UpturnError) -> Plan {
        let bytes = try FileBytes.read(path, limit: JSON5Parser.maxInputBytes, what: "plan")
        return try parse(bytes, file: path)
    }

    public static func parse(_ text: String, file: String) throws(UpturnError) -> Plan {
        try parse(Array(text.utf8), file: file)
    }

    public static func parse(_ bytes: [UInt8], file: String) throws(UpturnError) -> Plan {
        var problems = Problems(file: file)
        let root: JSONNode
        do {
            root = try JSON5Parser.parse(bytes)
        } catch {
            problems.add(syntax: error)
            try problems.throwIfAny()
            throw UpturnError.internalError("unreachable")
        }
        let plan = read(root, problems: &problems)
        try problems.throwIfAny()
        guard let plan else { throw UpturnError.data("\(file): not a plan") }
        return plan
    }

    static func read(_ root: JSONNode, problems: inout Problems) -> Plan? {
        guard let top = ObjectReader(root, path: "", problems: &problems) else { return nil }
        top.rejectUnknownKeys(topKeys, problems: &problems, what: "a plan")
        let title = top.string("title", problems: &problems, maxLength: 200)
        if !top.has("title") { problems.add("a plan needs a \"title\"", at: root.location) }
        _ = top.string("description", problems: &problems, maxLength: 4000)
        let pack = top.string("pack", problems: &problems, maxLength: 4096)
        let preamble = top.bool("preamble", problems: &problems) ?? false
        let cap =
            top.duration("maxInverted", in: 10_000...Plan.hardMaxInvertedMilliseconds, problems: &problems)
            ?? Plan.defaultMaxInvertedMilliseconds

        var steps: [Step] = []
        if let stepsNode = top["steps"] {
            if case .array(let elements) = stepsNode.value {
                if elements.isEmpty { problems.add("a plan needs at least one step", at: stepsNode.location, path: "steps") }
                if elements.count > maxSteps {
                    problems.add("more than \(maxSteps) steps", at: stepsNode.location, path: "steps")
                } else {
                    for (i, element) in elements.enumerated() {
                        if let step = readStep(element, path: "steps[\(i)]", problems: &problems) { steps.append(step) }
                    }
                }
            } else {
                problems.add("expected a list of steps, found \(stepsNode.typeName)", at: stepsNode.location, path: "steps")
            }
        } else {
            problems.add("a plan needs \"steps\"", at: root.location)
        }
        checkUpright(steps, elements: top["steps"], problems: &problems)
        var plan = Plan(title: title ?? "Untitled", pack: pack, preamble: preamble, maxInvertedMilliseconds: cap, steps: steps)
        if let node = top["music"] { plan.music = readMusic(node, file: problems.file, problems: &problems) }
        return plan
    }

    /// `music: {file: "calm.ogg", level: -20, duck: -12, loop: true}` (or just the file name).
    static func readMusic(_ node: JSONNode, file: String, problems: inout Problems) -> Plan.Music? {
        var name: String?
        var music = Plan.Music(path: "")
        if case .string(let s) = node.value {
            name = s
        } else if let object = ObjectReader(node, path: "music", problems: &problems) {
            object.rejectUnknownKeys(["file", "level", "duck", "loop"], problems: &problems, what: "music")
            name = object.string("file", problems: &problems, maxLength: 4096)
            if !object.has("file") { problems.add("music needs a \"file\"", at: node.location, path: "music") }
            if let level = object.integer("level", in: -60...0, problems: &problems, unit: "dB") { music.levelDB = Double(level) }
            if let duck = object.integer("duck", in: -40...0, problems: &problems, unit: "dB") { music.duckDB = Double(duck) }
            if let loop = object.bool("loop", problems: &problems) { music.loop = loop }
        }
        guard let name, !name.isEmpty else { return nil }
        let folder = file.hasPrefix("(built-in)") ? FileManager.default.currentDirectoryPath : PathText.parent(file)
        music.path = name.hasPrefix("/") ? name : (folder.isEmpty ? name : folder + "/" + name)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: music.path, isDirectory: &isFolder), !isFolder.boolValue else {
            problems.add("no music file at \(music.path)", at: (node["file"] ?? node).location, path: "music")
            return nil
        }
        return music
    }

    /// Rest happens upright: a rest while the table is tilted is a mistake in the plan.
    private static func checkUpright(_ steps: [Step], elements: JSONNode?, problems: inout Problems) {
        guard case .array(let nodes)? = elements?.value, nodes.count == steps.count else { return }
        var angle = 0
        for (i, step) in steps.enumerated() {
            switch step.action {
            case .tilt(let a, _): angle = a
            case .rest:
                if angle > 0 {
                    problems.add(
                        "a rest happens upright, but the table is at \(angle)°; add {tilt: 0} before it",
                        at: nodes[i].location, path: "steps[\(i)].rest")
                }
            default: break
            }
        }
    }

    static func readStep(_ node: JSONNode, path: String, problems: inout Problems) -> Step? {
        guard let object = ObjectReader(node, path: path, problems: &problems) else { return nil }
        let kinds = StepKind.inPlans.filter { object.has($0.rawValue) }
        guard kinds.count == 1, let kind = kinds.first else {
            if kinds.isEmpty {
                let unknown = object.members.first.map { " (found '\($0.key.prefix(40))'\(Spelling.hint(for: $0.key, in: kindKeys)))" } ?? ""
                problems.add(
                    "a step needs one of: \(kindKeys.joined(separator: ", "))\(unknown)", at: node.location, path: path)
            } else {
                problems.add(
                    "a step is one thing; this one has \(kinds.map(\.rawValue).joined(separator: " and "))", at: node.location, path: path)
            }
            return nil
        }
        object.rejectUnknownKeys(kind.keys, problems: &problems, what: "a \(kind.rawValue) step")
        let title = object.string("title", problems: &problems, maxLength: 200)
        let before = problems.lines.count
        var action: Step.Action?
        switch kind {
        case .say:
            if let text = spoken(object, "say", problems: &problems) { action = .say(text: text) }
        case .cue:
            action = readCue(object, problems: &problems)
        case .tilt:
            action = readTilt(object, problems: &problems)
        case .hold:
            action = readHold(object, problems: &problems)
        case .reps:
            action = readReps(object, problems: &problems)
        case .rest:
            if let ms = object.duration("rest", in: 1000...maxRestMilliseconds, problems: &problems) {
                action = .rest(milliseconds: ms)
            }
        case .wait:
            action = readWait(object, problems: &problems)
        case .welcome, .finish:
            break
        }
        guard problems.lines.count == before, let action else { return nil }
        return Step(action, title: title)
    }

    /// Words to speak: a string with something in it to say (an empty or blank one would be
    /// silence, which `play` refuses).
    private static func spoken(_ object: ObjectReader, _ key: String, problems: inout Problems) -> String? {
        guard let text = object.string(key, problems: &problems) else { return nil }
        guard text.contains(where: { $0.isLetter || $0.isNumber }) else {
            problems.add("no words to say", at: object[key]?.location, path: object.child(key))
            return nil
        }
        return text
    }

    /// `{cue: "hold.halfway"}`: one of the pack's cue keys.
    private static func readCue(_ object: ObjectReader, problems: inout Problems) -> Step.Action? {
        guard let name = object.string("cue", problems: &problems, maxLength: 100) else { return nil }
        guard let key = CueKey(named: name) else {
            problems.add(
                "unknown cue key '\(name)'\(Spelling.hint(for: name, in: CueKey.names))", at: object["cue"]?.location,
                path: object.child("cue"))
            return nil
        }
        return .cue(key)
    }

    /// `{tilt: 30, settle: "8s"}`; going upright settles longer by default.
    private static func readTilt(_ object: ObjectReader, problems: inout Problems) -> Step.Action? {
        let angle = object.integer("tilt", in: 0...maxAngle, problems: &problems, unit: "degrees")
        let defaultSettle = angle == 0 ? defaultUprightSettleMilliseconds : defaultTiltSettleMilliseconds
        let settle = object.duration("settle", in: 0...maxSettleMilliseconds, problems: &problems) ?? defaultSettle
        return angle.map { .tilt(angle: $0, settleMilliseconds: settle) }
    }

    /// `{wait: "Press to go on.", timeout: "30s"}`, or `{wait: true}` for the pack's reminder.
    private static func readWait(_ object: ObjectReader, problems: inout Problems) -> Step.Action? {
        var reminder: String?
        if let value = object["wait"] {
            switch value.value {
            case .bool(true): reminder = nil
            case .string: reminder = spoken(object, "wait", problems: &problems)
            default:
                problems.add(
                    "expected the reminder to speak, or true, found \(value.typeName)", at: value.location,
                    path: object.child("wait"))
            }
        }
        let timeout = object.duration("timeout", in: 1000...maxWaitMilliseconds, problems: &problems) ?? defaultWaitMilliseconds
        return .wait(reminder: reminder, timeoutMilliseconds: timeout)
    }

    private static func readHold(_ object: ObjectReader, problems: inout Problems) -> Step.Action? {
        let ms = object.duration("hold", in: 1000...maxHoldMilliseconds, problems: &problems)
        let exercise = object.string("exercise", problems: &problems, maxLength: 200)
        let halfway = object.bool("halfway", problems: &problems) ?? true
        var countdown: [Int] = [10]
        if let node = object["countdown"] {
            switch node.value {
            case .bool(false): countdown = []
            case .number:
                countdown = ObjectReader.integer(node, in: 1...600, path: object.child("countdown"), problems: &problems, unit: "seconds").map { [$0] } ?? []
            case .array(let items):
                countdown = items.enumerated().compactMap { i, item in
                    ObjectReader.integer(item, in: 1...600, path: object.child("countdown") + "[\(i)]", problems: &problems, unit: "seconds")
                }
            default:
                problems.add(
                    "expected seconds before the end (10 or [30, 10]) or false, found \(node.typeName)",
                    at: node.location, path: object.child("countdown"))
            }
        }
        var cues: [Step.TimedCue] = []
        if let node = object["cues"] {
            if case .array(let items) = node.value {
                for (i, item) in items.prefix(100).enumerated() {
                    let path = object.child("cues") + "[\(i)]"
                    guard let cue = ObjectReader(item, path: path, problems: &problems) else { continue }
                    cue.rejectUnknownKeys(["at", "say"], problems: &problems, what: "a timed cue")
                    let at = cue.duration("at", in: 0...maxHoldMilliseconds, problems: &problems)
                    let text = spoken(cue, "say", problems: &problems)
                    if !cue.has("at") || !cue.has("say") {
                        problems.add("a timed cue needs \"at\" and \"say\"", at: item.location, path: path)
                    }
                    if let at, let text {
                        if let ms, at >= ms {
                            problems.add(
                                "at \(DurationText.short(milliseconds: at)) is after the hold ends (\(DurationText.short(milliseconds: ms)))",
                                at: cue["at"]?.location, path: cue.child("at"))
                        } else {
                            cues.append(Step.TimedCue(atMilliseconds: at, text: text))
                        }
                    }
                }
                if items.count > 100 { problems.add("more than 100 timed cues", at: node.location, path: object.child("cues")) }
            } else {
                problems.add("expected a list of {at, say} cues, found \(node.typeName)", at: node.location, path: object.child("cues"))
            }
        }
        guard let ms else { return nil }
        for seconds in countdown where seconds * 1000 >= ms {
            problems.add(
                "a \(seconds)-second countdown does not fit in a \(DurationText.short(milliseconds: ms)) hold",
                at: object["countdown"]?.location, path: object.child("countdown"))
        }
        return .hold(.init(milliseconds: ms, exercise: exercise, halfway: halfway, countdown: countdown, cues: cues))
    }

    private static func readReps(_ object: ObjectReader, problems: inout Problems) -> Step.Action? {
        let count = object.integer("reps", in: 1...maxReps, problems: &problems, unit: "reps")
        let exercise = object.string("exercise", problems: &problems, maxLength: 200)
        let counted = object.bool("count", problems: &problems) ?? true
        var tempo = [2000, 1000, 2000]
        if let node = object["tempo"] {
            if case .string(let text) = node.value, let parsed = parseTempo(text) {
                tempo = parsed
            } else {
                problems.add(
                    "a tempo is down-hold-up in seconds, such as \"2-1-2\" or \"2-10-3\" (each 0 to 60, at least 1 in all)",
                    at: node.location, path: object.child("tempo"))
            }
        }
        guard let count else { return nil }
        return .reps(.init(count: count, exercise: exercise, tempoMilliseconds: tempo, counted: counted))
    }

    /// "2-1-2" → [2000, 1000, 2000]; phases of 0 to 60 s, at least one second in all.
    public static func parseTempo(_ text: String) -> [Int]? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var phases: [Int] = []
        for part in parts {
            guard let seconds = Double(part.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0, seconds <= 60 else {
                return nil
            }
            phases.append(Int((seconds * 1000).rounded()))
        }
        return phases.reduce(0, +) >= 1000 ? phases : nil
    }
}
