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
        let sessions = all.filter { since == nil || $0.start >= since! }
        let weekAgo = Date().addingTimeInterval(-7 * 86_400)
        let thisWeek = all.filter { $0.start >= weekAgo }.count
        let inverted = sessions.reduce(0) { $0 + $1.invertedSeconds }
        let steepest = sessions.map(\.highestAngle).max() ?? 0
        let rules = (try? Settings.read().rules) ?? Progression.Rules()
        let today = Progression(rules: rules).today(history: all)
        let level = today.fallback == nil ? "\(today.level)" : "unknown"
        if arguments.flags.contains("--json") {
            let items = sessions.map { s -> String in
                var fields = [
                    "\"start\": \"\(DateText.iso(s.start))\"", "\"plan\": \(TimelineJSON.string(s.plan))",
                    "\"title\": \(TimelineJSON.string(s.title))", "\"steps_done\": \(s.stepsDone)", "\"steps\": \(s.steps)",
                    "\"inverted_seconds\": \(s.invertedSeconds)", "\"highest_angle\": \(s.highestAngle)",
                    "\"ended\": \(TimelineJSON.string(s.ending.rawValue))",
                ]
                if let end = s.end { fields.insert("\"end\": \"\(DateText.iso(end))\"", at: 1) }
                return "{" + fields.joined(separator: ", ") + "}"
            }
            print("{\"sessions\": [" + items.joined(separator: ",\n  ") + "],\n \"summary\": {\"sessions\": \(sessions.count), \"this_week\": \(thisWeek), \"inverted_seconds\": \(inverted), \"highest_angle\": \(steepest), \"level\": \(today.fallback == nil ? "\(today.level)" : "null")}}")
            return .ok
        }
        var out = ""
        for s in sessions {
            let minutes = DurationText.short(milliseconds: Int(s.invertedSeconds.rounded()) * 1000)
            let plan = s.level.map { "\(s.plan) (\(s.program ?? "?") level \($0))" } ?? s.plan
            out += "\(DateText.local(s.start, time: true))  \(plan)  \(s.ending.rawValue), \(s.stepsDone)/\(s.steps) steps, \(minutes) inverted, up to \(s.highestAngle)°\n"
        }
        if !out.isEmpty { print(out, terminator: "") }
        if sessions.isEmpty { print("no sessions yet") }
        print("\(thisWeek) session\(thisWeek == 1 ? "" : "s") this week · \(DurationText.short(milliseconds: Int(inverted.rounded()) * 1000)) inverted in all · steepest \(steepest)° · level \(level)")
        return .ok
    }
}
