import Foundation
import UpturnKit

enum HistoryCommand {
    static let help = """
        usage: upturn history [--json] [--since YYYY-MM-DD]

        Prints the sessions played (from $XDG_DATA_HOME/upturn/history.jsonl) and a summary:
        sessions this week, total time inverted, the steepest angle so far, and the level
        today's session is at (`upturn show today --explain` says why).
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "history", valued: ["--since"], flags: ["--json"])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "history")
        var since: Date?
        if let text = arguments.options["--since"] {
            let format = DateFormatter()
            format.dateFormat = "yyyy-MM-dd"
            format.locale = Locale(identifier: "en_US_POSIX")
            guard let date = format.date(from: text) else {
                throw UpturnError.usage("upturn history: --since takes a date as YYYY-MM-DD, not '\(text.prefix(40))'")
            }
            since = date
        }
        let (all, warnings) = Journal().read()
        warnings.forEach { CommandLineTool.printError("upturn: warning: " + $0) }
        let summary = HistorySummary(history: all, since: since, rules: (try? Settings.read().rules) ?? Progression.Rules())
        if arguments.flags.contains("--json") {
            print(summary.json)
            return .ok
        }
        var out = ""
        for s in summary.sessions {
            let minutes = DurationText.short(milliseconds: Int(s.invertedSeconds.rounded()) * 1000)
            let plan = s.level.map { "\(s.plan) (\(s.program ?? "?") level \($0))" } ?? s.plan
            out += "\(DateText.local(s.start, time: true))  \(plan)  \(s.ending.rawValue), \(s.stepsDone)/\(s.steps) steps, \(minutes) inverted, up to \(s.highestAngle)°\n"
        }
        if !out.isEmpty { print(TerminalText.safe(out, keepNewlines: true), terminator: "") }
        if summary.sessions.isEmpty { print("no sessions yet") }
        let inverted = DurationText.short(milliseconds: Int(summary.invertedSeconds.rounded()) * 1000)
        let week = "\(summary.thisWeek) session\(summary.thisWeek == 1 ? "" : "s") this week"
        print("\(week) · \(inverted) inverted in all · steepest \(summary.steepest)° · level \(summary.level.map(String.init) ?? "unknown")")
        return .ok
    }
}
