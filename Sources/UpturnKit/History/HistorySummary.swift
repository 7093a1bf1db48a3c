import Foundation

/// What `upturn history` says: the sessions (since a day, when asked), sessions this week,
/// time inverted, the steepest angle, and the level today's session is at.
public struct HistorySummary {
    public var sessions: [SessionRecord]
    public var thisWeek: Int
    public var invertedSeconds: Double
    public var steepest: Int
    /// Nil when today's session falls back to first-time (the history or settings unusable).
    public var level: Int?

    public init(history all: [SessionRecord], since: Date?, rules: Progression.Rules, now: Date = Date()) {
        sessions = all.filter { since == nil || $0.start >= since! }
        let weekAgo = now.addingTimeInterval(-7 * 86_400)
        thisWeek = all.filter { $0.start >= weekAgo }.count
        invertedSeconds = sessions.reduce(0) { $0 + $1.invertedSeconds }
        steepest = sessions.map(\.highestAngle).max() ?? 0
        let today = Progression(rules: rules).today(history: all)
        level = today.fallback == nil ? today.level : nil
    }

    /// `history --json`: `{"sessions": [...], "summary": {...}}`.
    public var json: String {
        let items = sessions.map { s -> String in
            var fields = [
                "\"start\": \"\(DateText.iso(s.start))\"", "\"plan\": \(JSONText.string(s.plan))",
                "\"title\": \(JSONText.string(s.title))", "\"steps_done\": \(s.stepsDone)", "\"steps\": \(s.steps)",
                "\"inverted_seconds\": \(s.invertedSeconds)", "\"highest_angle\": \(s.highestAngle)",
                "\"ended\": \(JSONText.string(s.ending.rawValue))",
            ]
            if let end = s.end { fields.insert("\"end\": \"\(DateText.iso(end))\"", at: 1) }
            if let program = s.program { fields.append("\"program\": \(JSONText.string(program))") }
            if let level = s.level { fields.append("\"level\": \(level)") }
            if s.angleMeasured {
                fields.append("\"angle_measured\": true")
                fields.append("\"angle_trace\": [" + s.angleTrace.map { String(format: "%.1f", $0) }.joined(separator: ", ") + "]")
            }
            return "{" + fields.joined(separator: ", ") + "}"
        }
        return "{\"sessions\": [" + items.joined(separator: ",\n  ")
            + "],\n \"summary\": {\"sessions\": \(sessions.count), \"this_week\": \(thisWeek), \"inverted_seconds\": \(invertedSeconds), \"highest_angle\": \(steepest), \"level\": \(level.map(String.init) ?? "null")}}"
    }
}
