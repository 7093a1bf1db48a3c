import Foundation

/// Dates in the history, written and read without a formatter per date: `history` reads ten
/// thousand sessions in a blink (Foundation's ISO8601DateFormatter took about 100 µs a date).
public enum DateText {
    /// "2026-11-25T07:30:00Z": UTC, to the second.
    public static func iso(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return day(parts) + "T" + pad(parts.tm_hour) + ":" + pad(parts.tm_min) + ":" + pad(parts.tm_sec) + "Z"
    }

    /// Reads what `iso` writes quickly; any other ISO 8601 date with a time zone through
    /// Foundation; nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                n = n * 10 + Int(b[i] - 0x30)
            }
            return n
        }
        if b.count == 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A, b[19] == 0x5A,
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        {
            var parts = tm()
            parts.tm_year = Int32(year - 1900)
            parts.tm_mon = Int32(month - 1)
            parts.tm_mday = Int32(day)
            parts.tm_hour = Int32(hour)
            parts.tm_min = Int32(minute)
            parts.tm_sec = Int32(second)
            return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// "2026-11-25" or "2026-11-25 08:30" in local time.
    public static func local(_ date: Date, time: Bool = false) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&seconds, &parts)
        return time ? day(parts) + " " + pad(parts.tm_hour) + ":" + pad(parts.tm_min) : day(parts)
    }

    /// Two digits; String(format:) costs microseconds a call.
    private static func pad(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private static func day(_ parts: tm) -> String {
        let year = Int(parts.tm_year) + 1900
        let y = year < 1000 ? String(repeating: "0", count: year < 10 ? 3 : year < 100 ? 2 : 1) + "\(year)" : "\(year)"
        return y + "-" + pad(parts.tm_mon + 1) + "-" + pad(parts.tm_mday)
    }
}
