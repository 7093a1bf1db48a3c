import UpturnKit

enum ShowCommand {
    static let help = """
        usage: upturn show [PLAN] [--json] [--pack NAME|DIR] [--rate HZ] [--alone]
               upturn show today --explain

        Prints the session's timeline: every step, spoken cue and sound, at its time.
        --json prints one object: {"rate", "frames", "events": [{"frame", "seconds",
        "kind", "key", "text", "step", ...}]}, kind being speech, sound or step.
        --alone adds the safety check-ins. `show today --explain` says why today's
        session is what it is: the sessions in the history that moved the level, and the rules.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "show", valued: ["--pack", "--rate"], flags: ["--json", "--alone", "--explain"])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(1, command: "show")
        let rate = try CommandLineTool.rate(arguments, command: "show")
        let session = try Session.prepare(
            plan: arguments.positionals.first, pack: arguments.options["--pack"], rate: rate, alone: arguments.flags.contains("--alone"))
        if arguments.flags.contains("--explain") {
            guard let today = session.today else {
                throw UpturnError.usage("upturn show: --explain is for `upturn show today`")
            }
            if let why = today.fallback {
                print("Today: first-time, because \(why).")
            } else {
                print("Today: \(today.program), level \(today.level): \(today.angle)°, holds \(today.extraHoldSeconds > 0 ? "\(today.extraHoldSeconds) s longer" : "as written"), about \(session.timeline.spokenMinutes) minute\(session.timeline.spokenMinutes == 1 ? "" : "s").")
            }
            print("Why:")
            for reason in today.reasons.suffix(12) { print("  - " + reason) }
            if today.reasons.count > 12 { print("  (\(today.reasons.count - 12) earlier sessions not shown)") }
            let rules = (try? Settings.read().rules) ?? Progression.Rules()
            print(rules.summary)
            return .ok
        }
        if arguments.flags.contains("--json") {
            print(TimelineJSON.encode(session.timeline))
        } else {
            print(TimelineText.describe(session.timeline, title: session.plan.title, stepCount: session.plan.steps.count))
        }
        return .ok
    }
}
