import UpturnKit

/// A command line split into positionals, options with values, and flags.
struct Arguments {
    var positionals: [String] = []
    var options: [String: String] = [:]
    var flags: Set<String> = []

    /// `valued` options take a value (`--device hw:0` or `--device=hw:0`); `flags` take none.
    init(_ words: [String], command: String, valued: Set<String>, flags known: Set<String>) throws(UpturnError) {
        var i = 0
        var onlyPositionals = false
        while i < words.count {
            let word = words[i]
            i += 1
            if onlyPositionals || !word.hasPrefix("-") || word == "-" {
                positionals.append(word)
                continue
            }
            if word == "--" {
                onlyPositionals = true
                continue
            }
            var name = word
            var value: String?
            if let eq = word.firstIndex(of: "=") {
                name = String(word[..<eq])
                value = String(word[word.index(after: eq)...])
            }
            if name == "-h" { name = "--help" }
            if valued.contains(name) {
                if value == nil {
                    guard i < words.count else { throw UpturnError.usage("upturn \(command): \(name) needs a value") }
                    value = words[i]
                    i += 1
                }
                options[name] = value
            } else if known.contains(name) || name == "--help" {
                if value != nil { throw UpturnError.usage("upturn \(command): \(name) takes no value") }
                flags.insert(name)
            } else {
                let hint = Spelling.hint(for: name, in: Array(valued) + Array(known) + ["--help"])
                throw UpturnError.usage("upturn \(command): unknown option '\(name.prefix(60))'\(hint); see `upturn \(command) --help`")
            }
        }
    }

    func integer(_ name: String, in range: ClosedRange<Int>, command: String) throws(UpturnError) -> Int? {
        guard let text = options[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw UpturnError.usage("upturn \(command): \(name) takes a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text.prefix(40))'")
        }
        return value
    }

    /// At most `count` positionals.
    func atMost(_ count: Int, command: String) throws(UpturnError) {
        if positionals.count > count {
            throw UpturnError.usage("upturn \(command): unexpected '\(positionals[count].prefix(60))'; see `upturn \(command) --help`")
        }
    }
}
