/// Close matches for "did you mean" hints.
public enum Spelling {
    /// The Levenshtein distance between two strings, compared case-insensitively.
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased().unicodeScalars)
        let y = Array(b.lowercased().unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// The candidates closest to `word`: prefix matches first, then those within a small edit distance.
    public static func closeMatches(to word: String, in candidates: [String], limit: Int = 5) -> [String] {
        let lower = word.lowercased()
        guard !lower.isEmpty, word.count <= 200 else { return [] }
        let threshold = max(1, word.count / 3)
        var scored: [(String, Int)] = []
        for candidate in candidates {
            let c = candidate.lowercased()
            if c.hasPrefix(lower) || (lower.count >= 3 && c.contains(lower)) {
                scored.append((candidate, 0))
            } else {
                let d = distance(lower, c)
                if d <= threshold { scored.append((candidate, d)) }
            }
        }
        scored.sort { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        return Array(scored.prefix(limit).map(\.0))
    }

    /// " (did you mean 'x'?)" or "" when nothing is close.
    public static func hint(for word: String, in candidates: [String]) -> String {
        let matches = closeMatches(to: word, in: candidates, limit: 3)
        guard !matches.isEmpty else { return "" }
        return " (did you mean " + matches.map { "'\($0)'" }.joined(separator: " or ") + "?)"
    }
}
