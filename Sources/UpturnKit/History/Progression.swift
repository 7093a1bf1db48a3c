import Foundation

/// Gradual progression: which session today holds, worked out from the history. Every rule
/// that moves a level up or down is in this file, and `upturn show today --explain` prints
/// the trail of them that led to today.
///
/// A level is an angle and a hold: level 1 is 20°, each level adds 5° up to the ceiling
/// (60° unless the settings say less), and past the ceiling each level adds 30 s to every
/// hold (and one rep to every set), up to 90 s more.
public struct Progression: Sendable {
    public struct Rules: Sendable, Equatable {
        public var startAngle = 20
        public var angleStep = 5
        /// The steepest angle today's session ever asks for.
        public var ceiling = 60
        public var holdStepSeconds = 30
        public var maxExtraHoldSeconds = 90
        /// Completed sessions at a level before the next one is one step harder.
        public var completedToAdvance = 2
        /// Every this many days without a session lowers the level by one.
        public var longBreakDays = 14
        /// The built-in programs today's session takes turns with.
        public var programs = ["stretch", "core"]
        public init() {}

        /// Levels that raise the angle, then levels that lengthen the holds.
        public var angleLevels: Int { max(1, (ceiling - startAngle) / angleStep + 1) }
        public var maxLevel: Int { angleLevels + maxExtraHoldSeconds / holdStepSeconds }

        public func angle(level: Int) -> Int {
            min(ceiling, startAngle + angleStep * (min(level, angleLevels) - 1))
        }

        public func extraHoldSeconds(level: Int) -> Int {
            min(maxExtraHoldSeconds, max(0, level - angleLevels) * holdStepSeconds)
        }

        /// The rules in words, for `--explain`.
        public var summary: String {
            "Rules: after \(completedToAdvance) completed sessions at a level, the next is one level harder (\(angleStep)° more, up to \(ceiling)°; then \(holdStepSeconds) s more hold, up to \(maxExtraHoldSeconds) s more). A session stopped before its halfway point or left without an answer to a check-in lowers the level by one; stopped later keeps it. Every \(longBreakDays) days without a session lower it by one. Programs take turns: \(programs.joined(separator: ", "))."
        }
    }

    /// Today's session, and why.
    public struct Today: Sendable, Equatable {
        public var level: Int
        public var program: String
        public var angle: Int
        public var extraHoldSeconds: Int
        /// How the history led here, oldest first.
        public var reasons: [String]
        /// Set when the history or the settings could not be used: today is `first-time`.
        public var fallback: String?

        /// Today is `first-time`, opened by a spoken note, because of `why`.
        public static func fallback(_ why: String, reasons: [String] = []) -> Today {
            Today(level: 0, program: "first-time", angle: 30, extraHoldSeconds: 0, reasons: reasons + [why], fallback: why)
        }
    }

    public var rules: Rules

    public init(rules: Rules = Rules()) {
        self.rules = rules
    }

    /// Walks the history (oldest first) and says what today holds.
    public func today(history: [SessionRecord], now: Date = Date()) -> Today {
        var walk = HistoryWalk(rules: rules)
        for session in history {
            if let why = walk.count(session) { return .fallback(why, reasons: walk.reasons) }
        }
        if walk.reasons.isEmpty { walk.reasons.append("no sessions of today's plan yet: start gentle at level 1") }
        walk.lowerForBreak(until: now, prefix: "", since: "the last session")
        let program = walk.nextProgram()
        return Today(
            level: walk.level, program: program, angle: rules.angle(level: walk.level),
            extraHoldSeconds: rules.extraHoldSeconds(level: walk.level), reasons: walk.reasons, fallback: nil)
    }

    /// Today's plan, lengthened only as far as `fits` allows: a program with two holds in
    /// one inverted stretch would go over the cap on continuous inverted time, so the extra
    /// hold comes down 30 s at a time (and `today` says so) until the plan fits.
    public func plan(for today: inout Today, fits: (Plan) -> Bool) throws(UpturnError) -> Plan {
        var plan = try plan(for: today)
        while today.extraHoldSeconds > 0 && !fits(plan) {
            today.extraHoldSeconds = max(0, today.extraHoldSeconds - rules.holdStepSeconds)
            plan = try self.plan(for: today)
            today.reasons.append("holds \(today.extraHoldSeconds) s longer only, to keep within the cap on continuous inverted time")
        }
        return plan
    }

    /// Today's plan: the program with every tilt at today's angle and every hold (or set of
    /// reps) lengthened by the level. A fallback is `first-time`, opened by a spoken note.
    public func plan(for today: Today) throws(UpturnError) -> Plan {
        if today.fallback != nil {
            guard var plan = try BuiltinPrograms.plan("first-time") else { throw UpturnError.internalError("first-time is missing") }
            plan.steps.insert(Step(.cue(.todayFallback), title: "Note"), at: 0)
            return plan
        }
        guard var plan = try BuiltinPrograms.plan(today.program) else {
            throw UpturnError.internalError("today's program \(today.program) is missing")
        }
        plan.title = "\(plan.title), level \(today.level)"
        let extra = today.extraHoldSeconds * 1000
        for i in plan.steps.indices {
            switch plan.steps[i].action {
            case .tilt(let angle, let settle) where angle > 0:
                plan.steps[i] = Step(.tilt(angle: today.angle, settleMilliseconds: settle))
            case .hold(var hold):
                hold.milliseconds += extra
                plan.steps[i].action = .hold(hold)
            case .reps(var reps):
                reps.count += today.extraHoldSeconds / rules.holdStepSeconds
                plan.steps[i].action = .reps(reps)
            default: break
            }
        }
        return plan
    }
}

/// The walk through the history that `Progression.today` makes: the level and the count
/// of sessions finished at it, session by session, with a reason for every change.
private struct HistoryWalk {
    let rules: Progression.Rules
    var level = 1
    var completed = 0
    var reasons: [String] = []
    var lastDate: Date?
    var lastProgram: String?
    /// A level no settings could make is not ours: fall back. One above today's top (the
    /// ceiling was lowered since) counts as the top.
    let widest: Progression.Rules = {
        var widest = Progression.Rules()
        widest.ceiling = 90
        return widest
    }()

    init(rules: Progression.Rules) { self.rules = rules }

    /// Whole days between two dates.
    func days(from a: Date, to b: Date) -> Int {
        max(0, Int(b.timeIntervalSince(a) / 86_400))
    }

    /// A long break since the last session lowers the level; the reason starts with `prefix`.
    mutating func lowerForBreak(until end: Date, prefix: String, since: String) {
        guard let lastDate else { return }
        let lowered = days(from: lastDate, to: end) / rules.longBreakDays
        guard lowered > 0 && level > 1 else { return }
        let was = level
        level = max(1, level - lowered)
        completed = 0
        reasons.append("\(prefix)\(days(from: lastDate, to: end)) days since \(since): level \(was) → \(level)")
    }

    /// Counts one session; the reason to fall back when its level cannot be ours.
    mutating func count(_ session: SessionRecord) -> String? {
        guard let recorded = session.level else { return nil }
        let date = DateText.local(session.start)
        guard (1...widest.maxLevel).contains(recorded) else {
            return "the history has a session on \(date) at level \(recorded), which is not a level (1 to \(widest.maxLevel))"
        }
        if recorded > rules.maxLevel {
            reasons.append("\(date): level \(recorded) is above the top level \(rules.maxLevel) for a ceiling of \(rules.ceiling)°: counted as \(rules.maxLevel)")
        }
        let played = min(recorded, rules.maxLevel)
        lowerForBreak(until: session.start, prefix: "\(date): ", since: "the session before")
        // A session records the level it was played at; that is where the count goes on.
        if played != level {
            completed = 0
            level = played
        }
        lastDate = session.start
        // Programs take turns after a finished session; one stopped is offered again.
        if session.ending == .finished, session.program.map(rules.programs.contains) == true { lastProgram = session.program }
        countEnding(of: session, what: "\(date): \(session.program ?? "?") at level \(played)")
        return nil
    }

    /// Finished sessions move the level up; one stopped early or unanswered moves it down.
    private mutating func countEnding(of session: SessionRecord, what: String) {
        // With the table measured: a session that never got near its level's angle did not
        // show the level is easy, whatever the plan says.
        let planned = rules.angle(level: level)
        if session.ending == .finished, session.angleMeasured, session.highestAngle + Int(AngleRules.reachedWithin) < planned {
            reasons.append("\(what) finished, but the table reached only \(session.highestAngle)° of \(planned)° (measured): stays at level \(level)")
            return
        }
        switch session.ending {
        case .finished:
            completed += 1
            if completed >= rules.completedToAdvance && level < rules.maxLevel {
                level += 1
                completed = 0
                reasons.append("\(what) finished, \(rules.completedToAdvance) in a row at this level: up to level \(level)")
            } else if completed >= rules.completedToAdvance {
                reasons.append("\(what) finished: already the top level")
            } else {
                reasons.append("\(what) finished (\(completed) of \(rules.completedToAdvance) to move up)")
            }
        case .stopped, .noAnswer, .invertedCap:
            completed = 0
            let early = session.ending == .noAnswer || session.stepsDone * 2 < session.steps
            let ended = session.ending == .invertedCap ? "ended by the inverted-time cap" : "stopped"
            if early && level > 1 {
                level -= 1
                let why = session.ending == .noAnswer ? "no answer to a check-in" : "\(ended) early (\(session.stepsDone) of \(session.steps) steps)"
                reasons.append("\(what) \(why): down to level \(level)")
            } else {
                reasons.append("\(what) \(session.ending == .noAnswer ? "no answer to a check-in" : "\(ended) after \(session.stepsDone) of \(session.steps) steps"): stays at level \(level)")
            }
        case .audioLost, .killed:
            reasons.append("\(what) \(session.ending.rawValue): does not count")
        }
    }

    /// Programs take turns: the one after the last finished, else the first.
    mutating func nextProgram() -> String {
        if let lastProgram, let i = rules.programs.firstIndex(of: lastProgram) {
            let program = rules.programs[(i + 1) % rules.programs.count]
            if rules.programs.count > 1 { reasons.append("program: \(program), as the last one was \(lastProgram)") }
            return program
        }
        reasons.append("program: \(rules.programs[0]), the first in turn")
        return rules.programs[0]
    }
}
