import UpturnKit

enum ShowCommand {
    static let help = """
        usage: upturn show [PLAN] [--json] [--pack NAME|DIR] [--rate HZ]

        Prints the session's timeline: every step, spoken cue and sound, at its time.
        --json prints one object: {"rate", "frames", "events": [{"frame", "seconds",
        "kind", "key", "text", "step", ...}]}, kind being speech, sound or step.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "show", valued: ["--pack", "--rate"], flags: ["--json"])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(1, command: "show")
        let rate = try CommandLineTool.rate(arguments, command: "show")
        let session = try Session.prepare(plan: arguments.positionals.first, pack: arguments.options["--pack"], rate: rate)
        if arguments.flags.contains("--json") {
            print(TimelineJSON.encode(session.timeline))
        } else {
            print(TimelineText.describe(session.timeline, title: session.plan.title, stepCount: session.plan.steps.count))
        }
        return .ok
    }
}
