/// The `show --json` object (a contract in DESIGN.md):
/// `{"rate": 48000, "frames": N, "events": [{"frame", "seconds", "kind", "key", "text", "step", ...}]}`.
/// Step events carry `title`, `inverted`, and `angle` when the table is tilted.
public enum TimelineJSON {
    public static func encode(_ timeline: Timeline) -> String {
        var out = "{\"rate\": \(timeline.rate), \"frames\": \(timeline.frames), \"events\": ["
        for (i, event) in timeline.events.enumerated() {
            if i > 0 { out += ",\n  " } else { out += "\n  " }
            out += "{\"frame\": \(event.frame), \"seconds\": \(seconds(event.frame, rate: timeline.rate))"
            out += ", \"kind\": \"\(event.kind.rawValue)\", \"key\": \(JSONText.string(event.key))"
            switch event.kind {
            case .step:
                out += ", \"title\": \(JSONText.string(event.text ?? ""))"
                if event.angle > 0 { out += ", \"angle\": \(event.angle)" }
                out += ", \"inverted\": \(event.inverted)"
            case .speech, .sound:
                if let text = event.text { out += ", \"text\": \(JSONText.string(text))" }
                out += ", \"length\": \(event.length)"
            }
            out += ", \"step\": \(event.step)}"
        }
        out += timeline.events.isEmpty ? "]}" : "\n]}"
        return out
    }

    /// Seconds rounded to the millisecond, as a JSON number.
    static func seconds(_ frame: Int, rate: Int) -> String {
        let ms = (Int64(frame) * 1000 + Int64(rate) / 2) / Int64(rate)
        let whole = ms / 1000
        let fraction = ms % 1000
        if fraction == 0 { return "\(whole).0" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

}

/// The timeline for people: one line per step and cue.
public enum TimelineText {
    public static func describe(_ timeline: Timeline, title: String, stepCount: Int) -> String {
        let total = DurationText.clock(seconds: timeline.frames / timeline.rate)
        var lines = ["\(title): \(stepCount) steps, \(total)"]
        for event in timeline.events {
            let time = clock(event.frame, rate: timeline.rate)
            switch event.kind {
            case .step:
                var line = "\(time)  step \(event.step)  \(event.text ?? "")"
                if event.angle > 0 { line += " (\(event.angle)°, inverted)" }
                lines.append(line)
            case .speech:
                lines.append("\(time)      say    \(event.text ?? event.key)")
            case .sound:
                lines.append("\(time)      sound  \(event.key)")
            }
        }
        lines.append("\(clock(timeline.frames, rate: timeline.rate))  end")
        // Titles and texts come from plan files: a terminal shows them, never obeys them.
        return lines.map { TerminalText.safe($0) }.joined(separator: "\n")
    }

    /// "12:05.3"
    static func clock(_ frame: Int, rate: Int) -> String {
        let tenths = frame * 10 / rate
        let seconds = tenths / 10
        let m = seconds / 60
        let s = seconds % 60
        return (m < 10 ? " " : "") + "\(m):" + (s < 10 ? "0" : "") + "\(s).\(tenths % 10)"
    }
}
