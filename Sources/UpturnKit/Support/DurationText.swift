import Foundation

/// Reads durations as plans write them: `90`, `"90s"`, `"2m"`, `"1m30s"`, `"1.5s"`, `"500ms"`.
/// Returns milliseconds, or nil when the text is not a duration.
public enum DurationText {
    public static func milliseconds(_ text: String) -> Int? {
        guard let ms = exactMilliseconds(text), ms < 1e12 else { return nil }
        return Int(ms.rounded())
    }

    /// The duration in milliseconds, of any size ("1e300" too): for range checks that must
    /// never convert an out-of-range number to `Int` (that traps).
    public static func exactMilliseconds(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !t.isEmpty, t.count <= 32 else { return nil }
        if let seconds = Double(t), seconds.isFinite { return seconds >= 0 ? seconds * 1000 : nil }
        var total = 0.0
        var number = ""
        var rest = Substring(t)
        var lastUnitRank = Int.max
        while !rest.isEmpty {
            number = ""
            while let c = rest.first, c.isNumber || c == "." {
                number.append(c)
                rest = rest.dropFirst()
            }
            let unit: String
            if rest.hasPrefix("ms") { unit = "ms" } else if let c = rest.first, "hms".contains(c) { unit = String(c) } else { return nil }
            rest = rest.dropFirst(unit.count)
            while rest.first == " " { rest = rest.dropFirst() }
            guard let value = Double(number), value.isFinite else { return nil }
            let (scale, rank): (Double, Int)
            switch unit {
            case "h": (scale, rank) = (3_600_000, 3)
            case "m": (scale, rank) = (60_000, 2)
            case "s": (scale, rank) = (1000, 1)
            default: (scale, rank) = (1, 0)
            }
            // Units in falling order, each once: "1m30s", not "30s1m".
            guard rank < lastUnitRank else { return nil }
            lastUnitRank = rank
            total += value * scale
        }
        return total.isFinite ? total : nil
    }

    /// "2m", "1m30s", "45s", "1.5s": the short form, for people.
    public static func short(milliseconds ms: Int) -> String {
        if ms % 1000 != 0 { return "\(Double(ms) / 1000)s" }
        let s = ms / 1000
        let (m, r) = (s / 60, s % 60)
        if m == 0 { return "\(r)s" }
        if m >= 60 { return m % 60 == 0 ? "\(m / 60)h" : "\(m / 60)h\(m % 60)m" }
        return r == 0 ? "\(m)m" : "\(m)m\(r)s"
    }

    /// "12:05": minutes and seconds for a status line.
    public static func clock(seconds: Int) -> String {
        let s = max(0, seconds)
        let m = s / 60
        let r = s % 60
        return "\(m):" + (r < 10 ? "0" : "") + "\(r)"
    }
}
