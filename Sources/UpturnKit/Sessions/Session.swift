import Foundation
import UpturnSounds

/// Everything a session needs, resolved from the command line: the plan, the pack, the clips
/// and the timeline. `play`, `render` and `show` all start here, so they agree.
public struct Session {
    public var plan: Plan
    /// The plan's file, or "(built-in) NAME".
    public var planFile: String
    public var pack: CuePack
    public var library: ClipLibrary
    public var timeline: Timeline
    /// "Paused", "Resuming. Three, two, one", "Audio is back".
    public var cues: Player.Cues
    /// The plan's background track, ready to stream.
    public var music: MusicBed?
    /// For `today`: the level and program the history chose, and why.
    public var today: Progression.Today?

    public static let defaultRate = 48_000
    public static let defaultProgram = "first-time"

    /// `firstEverPreamble` true opens the first session of a new history (one the journal
    /// has no session in) with the safety preamble, whatever the plan says; `alone` adds a
    /// safety check-in to every long inverted hold. The journal is read once, when needed.
    public static func prepare(
        plan argument: String?, pack packArgument: String?, rate: Int, firstEverPreamble: Bool = false, alone: Bool = false,
        followsTable: Bool = false, journal: Journal = Journal(), settings: () throws(UpturnError) -> Settings = { () throws(UpturnError) in try Settings.read() }
    ) throws(UpturnError) -> Session {
        var plan: Plan, file: String, today: Progression.Today?, pack: CuePack
        let library = ClipLibrary(rate: rate, cache: PromptCache())
        let isToday = (argument ?? defaultProgram) == todayProgram
        let history = isToday || firstEverPreamble ? journal.read().sessions : []
        if isToday {
            // Today's programs are built-in: they name no pack, so the one given is the one used.
            let todayPack = try PackLocator.load(packArgument)
            (plan, today) = try todayPlan(history: history, settings: settings) { plan in
                (try? TimelineCompiler(plan: plan, pack: todayPack, rate: rate, measure: library, checkIns: alone).compile()) != nil
            }
            file = "(built-in) today"
            pack = todayPack
        } else {
            (plan, file) = try loadPlan(argument ?? defaultProgram)
            pack = try PackLocator.load(packArgument ?? plan.pack)
        }
        if firstEverPreamble && history.isEmpty { plan.preamble = true }
        // The prompts not yet in the cache are made side by side first, from a layout with
        // estimated lengths (a few texts that depend on real lengths are made after, alone).
        library.prefetch { (estimate) throws(UpturnError) in
            _ = try TimelineCompiler(plan: plan, pack: pack, rate: rate, measure: estimate, checkIns: alone).compile(file: file)
        }
        let compiler = TimelineCompiler(plan: plan, pack: pack, rate: rate, measure: library, checkIns: alone)
        let timeline = try compiler.compile(file: file)
        var cues = Player.Cues(
            paused: try compiler.interjection(.transportPaused),
            resuming: try compiler.interjection(.transportResuming),
            audioBack: try compiler.interjection(.transportAudioBack),
            answered: alone ? try compiler.interjection(.safetyAnswered) : nil,
            checkIn: alone ? try compiler.interjection(.safetyCheckIn) : nil)
        if followsTable {
            // What a session following the table may say: for each tilt's angle, and the rest.
            for angle in Set(timeline.steps.filter { $0.kind == .tilt && $0.angle > 0 }.map(\.angle)) {
                cues.tiltReached[angle] = try compiler.interjection(.tiltReached, values: ["angle": "\(angle)"])
                cues.tiltNotReached[angle] = try compiler.interjection(.tiltNotReached, values: ["angle": "\(angle)"])
            }
            cues.tiltTooFar = try compiler.interjection(.tiltTooFar)
            cues.uprightConfirmed = try compiler.interjection(.uprightConfirmed)
            cues.angleLost = try compiler.interjection(.angleLost)
        }
        let music = try plan.music.map { m throws(UpturnError) in
            try MusicBed(path: m.path, rate: rate, levelDB: m.levelDB, duckDB: m.duckDB, loop: m.loop)
        }
        return Session(
            plan: plan, planFile: file, pack: pack, library: library, timeline: timeline, cues: cues, music: music, today: today)
    }

    /// Reads the plan and its pack without making anything (no synthesis), so their problems
    /// come before a device is opened; true when the plan has music.
    public static func check(plan argument: String, pack packArgument: String?) throws(UpturnError) -> Bool {
        guard argument != todayProgram else {
            _ = try PackLocator.load(packArgument)
            return false
        }
        let (plan, _) = try loadPlan(argument)
        _ = try PackLocator.load(packArgument ?? plan.pack)
        return plan.music != nil
    }

    /// The plan computed from the history each day.
    public static let todayProgram = "today"

    /// Today's plan from the history and the settings; when either cannot be used, the
    /// first-time session opened by a spoken note (and `today.fallback` says why).
    public static func todayPlan(
        journal: Journal, settings: () throws(UpturnError) -> Settings, now: Date = Date(), fits: (Plan) -> Bool = { _ in true }
    ) throws(UpturnError) -> (Plan, Progression.Today) {
        try todayPlan(history: journal.read().sessions, settings: settings, now: now, fits: fits)
    }

    /// Today's plan from sessions already read from the history.
    public static func todayPlan(
        history: [SessionRecord], settings: () throws(UpturnError) -> Settings, now: Date = Date(), fits: (Plan) -> Bool = { _ in true }
    ) throws(UpturnError) -> (Plan, Progression.Today) {
        let progression: Progression
        do throws(UpturnError) {
            progression = Progression(rules: try settings().rules)
        } catch {
            let today = Progression.Today.fallback("the settings could not be read (\(error.problems.first ?? error.description))")
            return (try Progression().plan(for: today), today)
        }
        var today = progression.today(history: history, now: now)
        let plan = try progression.plan(for: &today, fits: fits)
        return (plan, today)
    }

    /// A built-in program's name or a plan file's path.
    public static func loadPlan(_ argument: String) throws(UpturnError) -> (Plan, String) {
        if let plan = try BuiltinPrograms.plan(argument) { return (plan, "(built-in) \(argument)") }
        if argument == todayProgram {
            return (try todayPlan(journal: Journal(), settings: { () throws(UpturnError) in try Settings.read() }).0, "(built-in) today")
        }
        let looksLikePath = argument.contains("/") || argument.hasSuffix(".json5") || argument.hasSuffix(".json")
        if looksLikePath || FileManager.default.fileExists(atPath: argument) {
            return (try PlanReader.read(file: argument), argument)
        }
        throw UpturnError.noInput(
            "no built-in program or plan file '\(argument.prefix(80))'\(Spelling.hint(for: argument, in: BuiltinPrograms.names + [todayProgram])); `upturn programs` lists the programs"
        )
    }
}
