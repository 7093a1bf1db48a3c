/// A place in a source file, 1-based, columns counted in characters (Unicode scalars).
public struct SourceLocation: Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// A JSON5 value that remembers where it stood in its file, so every problem,
/// syntax or meaning, can be reported as `file:line:column: message`.
public struct JSONNode: Equatable, Sendable {
    public enum Value: Equatable, Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSONNode])
        /// Members in file order; keys are unique (the parser refuses duplicates).
        case object([(key: String, keyLocation: SourceLocation, value: JSONNode)])

        public static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): return true
            case let (.bool(a), .bool(b)): return a == b
            case let (.number(a), .number(b)): return a == b || (a.isNaN && b.isNaN)
            case let (.string(a), .string(b)): return a == b
            case let (.array(a), .array(b)): return a == b
            case let (.object(a), .object(b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: return false
            }
        }
    }

    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    /// A short name of the value's type, for messages ("expected a number, found a string").
    public var typeName: String {
        switch value {
        case .null: return "null"
        case .bool: return "true or false"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    public subscript(key: String) -> JSONNode? {
        guard case .object(let members) = value else { return nil }
        return members.first { $0.key == key }?.value
    }
}

/// A JSON5 syntax error at a place in the text.
public struct JSON5SyntaxError: Error, Equatable, Sendable {
    public var location: SourceLocation
    public var message: String
}

/// A JSON5 parser (https://spec.json5.org) that keeps source locations.
///
/// Foundation's `JSONDecoder` with `allowsJSON5` reads the same language, but on Linux its
/// errors carry no line or column, and it stops at the first problem of meaning. This parser
/// is bounded: nesting depth, string length and input size are capped so no input can
/// exhaust the stack or memory.
public struct JSON5Parser {
    public static let maxDepth = 64
    public static let maxStringBytes = 64 * 1024
    public static let maxInputBytes = 4 * 1024 * 1024

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var column = 1
    private var depth = 0

    public static func parse(_ bytes: [UInt8]) throws(JSON5SyntaxError) -> JSONNode {
        var parser = JSON5Parser(bytes: bytes)
        return try parser.parseDocument()
    }

    public static func parse(_ text: String) throws(JSON5SyntaxError) -> JSONNode {
        try parse(Array(text.utf8))
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private var here: SourceLocation { SourceLocation(line: line, column: column) }

    private func fail(_ message: String, at location: SourceLocation? = nil) -> JSON5SyntaxError {
        JSON5SyntaxError(location: location ?? here, message: message)
    }

    private mutating func parseDocument() throws(JSON5SyntaxError) -> JSONNode {
        guard bytes.count <= Self.maxInputBytes else {
            throw fail("file is larger than \(Self.maxInputBytes / 1024 / 1024) MB")
        }
        try validateUTF8()
        // A byte order mark is allowed at the very start.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        try skipTrivia()
        guard index < bytes.count else { throw fail("the file is empty; expected a JSON5 object") }
        let node = try parseValue()
        try skipTrivia()
        if index < bytes.count {
            throw fail("unexpected \(describeCurrent()) after the end of the document")
        }
        return node
    }

    /// Refuses invalid UTF-8 up front, pointing at the first bad byte.
    private func validateUTF8() throws(JSON5SyntaxError) {
        var line = 1, column = 1, i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            if b < 0x80 { length = 1 } else if b & 0xE0 == 0xC0, b >= 0xC2 { length = 2 } else if b & 0xF0 == 0xE0 {
                length = 3
            } else if b & 0xF8 == 0xF0, b <= 0xF4 { length = 4 } else { length = 0 }
            var valid = length > 0 && i + length <= bytes.count
            if valid && length > 1 {
                for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 { valid = false }
                if valid && length == 3 {
                    let v = (UInt32(b & 0x0F) << 12) | (UInt32(bytes[i + 1] & 0x3F) << 6)
                    if v < 0x800 || (v >= 0xD800 && v <= 0xDFFF) { valid = false }
                }
                if valid && length == 4 {
                    let v = (UInt32(b & 0x07) << 18) | (UInt32(bytes[i + 1] & 0x3F) << 12)
                    if v < 0x10000 || v > 0x10FFFF { valid = false }
                }
            }
            if !valid {
                throw JSON5SyntaxError(
                    location: SourceLocation(line: line, column: column), message: "invalid UTF-8 text")
            }
            if Self.endsLine(bytes, at: i) { line += 1; column = 1 } else if !(b == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A) { column += 1 }
            i += length
        }
    }

    private func describeCurrent() -> String {
        guard index < bytes.count else { return "end of file" }
        let b = bytes[index]
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        if b < 0x20 || b == 0x7F { return "control character 0x\(String(b, radix: 16))" }
        return "character"
    }

    /// Moves past one byte, counting lines (LF, CR alone, CR LF once, U+2028, U+2029) and
    /// columns (one per character, not per byte).
    private mutating func advance() {
        let b = bytes[index]
        if Self.endsLine(bytes, at: index) {
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 && !(b == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A) {
            // (A CR before its LF is no column; the LF ends the line.)
            column += 1
        }
        index += 1
    }

    /// True at the byte that ends a line: LF, a CR not followed by LF, or the last byte of
    /// U+2028 or U+2029.
    private static func endsLine(_ bytes: [UInt8], at i: Int) -> Bool {
        switch bytes[i] {
        case 0x0A: return true
        case 0x0D: return !(i + 1 < bytes.count && bytes[i + 1] == 0x0A)
        case 0xA8, 0xA9: return i >= 2 && bytes[i - 2] == 0xE2 && bytes[i - 1] == 0x80
        default: return false
        }
    }

    /// The Unicode scalar starting at `i` (UTF-8 was validated), and its length in bytes.
    private static func scalar(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        guard i < bytes.count else { return nil }
        let b = bytes[i]
        let length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
        guard i + length <= bytes.count else { return nil }
        var value = length == 1 ? UInt32(b) : UInt32(b) & (0xFF >> UInt32(length + 1))
        for k in 1..<max(1, length) { value = value << 6 | UInt32(bytes[i + k] & 0x3F) }
        return Unicode.Scalar(value).map { ($0, length) }
    }

    /// A line terminator at `i`: LF, CR, U+2028, U+2029; its length in bytes, else 0.
    private static func lineTerminator(_ bytes: [UInt8], at i: Int) -> Int {
        guard i < bytes.count else { return 0 }
        if bytes[i] == 0x0A || bytes[i] == 0x0D { return 1 }
        if bytes[i] == 0xE2, i + 2 < bytes.count, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 { return 3 }
        return 0
    }

    private mutating func skipTrivia() throws(JSON5SyntaxError) {
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C:
                advance()
            case 0x80...:
                // Any Unicode space separator (NBSP, U+2003, U+3000...), the line and paragraph
                // separators, and a byte order mark are white space in JSON5.
                guard let (scalar, length) = Self.scalar(bytes, at: index),
                    scalar.properties.generalCategory == .spaceSeparator || scalar == "\u{2028}" || scalar == "\u{2029}"
                        || scalar == "\u{FEFF}"
                else { return }
                for _ in 0..<length { advance() }
            case UInt8(ascii: "/"):
                guard index + 1 < bytes.count else { throw fail("unexpected '/'") }
                let start = here
                if bytes[index + 1] == UInt8(ascii: "/") {
                    while index < bytes.count && Self.lineTerminator(bytes, at: index) == 0 { advance() }
                } else if bytes[index + 1] == UInt8(ascii: "*") {
                    advance(); advance()
                    var closed = false
                    while index < bytes.count {
                        if bytes[index] == UInt8(ascii: "*") && index + 1 < bytes.count
                            && bytes[index + 1] == UInt8(ascii: "/")
                        {
                            advance(); advance()
                            closed = true
                            break
                        }
                        advance()
                    }
                    if !closed { throw fail("comment is never closed with */", at: start) }
                } else {
                    throw fail("unexpected '/'")
                }
            default:
                return
            }
        }
    }

    private mutating func parseValue() throws(JSON5SyntaxError) -> JSONNode {
        let start = here
        guard index < bytes.count else { throw fail("unexpected end of file; expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return JSONNode(.string(try parseString()), at: start)
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return JSONNode(.number(try parseNumber()), at: start)
        default:
            let wordStart = index
            let word = try parseIdentifier()
            // ES5 allows \u escapes in names, never in the literals: `nul\u006c` is no null.
            if ["true", "false", "null", "Infinity", "NaN"].contains(word), bytes[wordStart..<index].contains(UInt8(ascii: "\\")) {
                throw fail("'\(word)' written with a \\u escape is not a literal; write it plainly", at: start)
            }
            switch word {
            case "true": return JSONNode(.bool(true), at: start)
            case "false": return JSONNode(.bool(false), at: start)
            case "null": return JSONNode(.null, at: start)
            case "Infinity": return JSONNode(.number(.infinity), at: start)
            case "NaN": return JSONNode(.number(.nan), at: start)
            case "":
                throw fail("unexpected \(describeCurrent()); expected a value")
            default:
                let hint = Spelling.hint(for: word, in: ["true", "false", "null"])
                throw fail("unexpected word '\(word.prefix(40))'; strings need quotes\(hint)", at: start)
            }
        }
    }

    private mutating func enter() throws(JSON5SyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth) levels") }
    }

    private mutating func parseObject() throws(JSON5SyntaxError) -> JSONNode {
        let start = here
        try enter()
        advance()  // {
        var members: [(key: String, keyLocation: SourceLocation, value: JSONNode)] = []
        var seen: [String: SourceLocation] = [:]
        while true {
            try skipTrivia()
            guard index < bytes.count else { throw fail("object opened at \(start) is never closed with }") }
            if bytes[index] == UInt8(ascii: "}") { advance(); break }
            let keyLocation = here
            let key: String
            if bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") {
                key = try parseString()
            } else {
                key = try parseIdentifier()
                if key.isEmpty { throw fail("unexpected \(describeCurrent()); expected a key or }") }
            }
            if let first = seen[key] {
                throw fail("key '\(key.prefix(40))' appears twice (first at \(first))", at: keyLocation)
            }
            seen[key] = keyLocation
            try skipTrivia()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw fail("expected ':' after key '\(key.prefix(40))', found \(describeCurrent())")
            }
            advance()
            try skipTrivia()
            let value = try parseValue()
            members.append((key, keyLocation, value))
            try skipTrivia()
            guard index < bytes.count else { throw fail("object opened at \(start) is never closed with }") }
            if bytes[index] == UInt8(ascii: ",") { advance(); continue }
            if bytes[index] == UInt8(ascii: "}") { advance(); break }
            throw fail("expected ',' or '}' after a member, found \(describeCurrent())")
        }
        depth -= 1
        return JSONNode(.object(members), at: start)
    }

    private mutating func parseArray() throws(JSON5SyntaxError) -> JSONNode {
        let start = here
        try enter()
        advance()  // [
        var elements: [JSONNode] = []
        while true {
            try skipTrivia()
            guard index < bytes.count else { throw fail("list opened at \(start) is never closed with ]") }
            if bytes[index] == UInt8(ascii: "]") { advance(); break }
            if bytes[index] == UInt8(ascii: ",") { throw fail("unexpected ','; expected a value or ]") }
            elements.append(try parseValue())
            try skipTrivia()
            guard index < bytes.count else { throw fail("list opened at \(start) is never closed with ]") }
            if bytes[index] == UInt8(ascii: ",") { advance(); continue }
            if bytes[index] == UInt8(ascii: "]") { advance(); break }
            throw fail("expected ',' or ']' after a value, found \(describeCurrent())")
        }
        depth -= 1
        return JSONNode(.array(elements), at: start)
    }

    private static func isIdentifierByte(_ b: UInt8, first: Bool) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "_"), UInt8(ascii: "$"):
            return true
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return !first
        default: return false
        }
    }

    /// ES5's identifier characters: letters (and letter numbers) anywhere; digits, combining
    /// marks, connector punctuation, ZWNJ and ZWJ after the first.
    private static func isIdentifierScalar(_ scalar: Unicode.Scalar, first: Bool) -> Bool {
        if scalar == "$" || scalar == "_" { return true }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .letterNumber: return true
        case .nonspacingMark, .spacingMark, .decimalNumber, .connectorPunctuation: return !first
        default: return !first && (scalar == "\u{200C}" || scalar == "\u{200D}")
        }
    }

    /// An unquoted name (a key, or true/false/null/Infinity/NaN), with `\uXXXX` escapes as
    /// ES5 allows them; empty when none starts here.
    private mutating func parseIdentifier() throws(JSON5SyntaxError) -> String {
        let start = here
        var name = String.UnicodeScalarView()
        while let (scalar, length) = Self.scalar(bytes, at: index) {
            var next = scalar
            if scalar == "\\" {
                guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw fail("a '\\' in a name must start a \\u escape")
                }
                advance(); advance()
                guard let escaped = Unicode.Scalar(try parseHex(4)), Self.isIdentifierScalar(escaped, first: name.isEmpty) else {
                    throw fail("the \\u escape is not a letter or digit a name may hold")
                }
                next = escaped
            } else {
                guard Self.isIdentifierScalar(scalar, first: name.isEmpty) else { break }
                for _ in 0..<length { advance() }
            }
            name.append(next)
            if name.count > Self.maxStringBytes { throw fail("a name longer than \(Self.maxStringBytes / 1024) KB", at: start) }
        }
        return String(name)
    }

    private mutating func parseHex(_ count: Int) throws(JSON5SyntaxError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<count {
            guard index < bytes.count, let d = Self.hexDigit(bytes[index]) else {
                throw fail("expected \(count) hexadecimal digits in an escape")
            }
            v = v * 16 + UInt32(d)
            advance()
        }
        return v
    }

    private static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private mutating func parseString() throws(JSON5SyntaxError) -> String {
        let start = here
        let quote = bytes[index]
        advance()
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fail("string is never closed", at: start) }
            if out.count > Self.maxStringBytes {
                throw fail("string longer than \(Self.maxStringBytes / 1024) KB", at: start)
            }
            let b = bytes[index]
            if b == quote { advance(); break }
            // JSON5 strings may hold any character (a tab, U+2028...) but a new line.
            if b == 0x0A || b == 0x0D { throw fail("string is never closed on its line", at: start) }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                advance()
                continue
            }
            advance()
            guard index < bytes.count else { throw fail("string is never closed", at: start) }
            let e = bytes[index]
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A); advance()
            case UInt8(ascii: "t"): out.append(0x09); advance()
            case UInt8(ascii: "r"): out.append(0x0D); advance()
            case UInt8(ascii: "b"): out.append(0x08); advance()
            case UInt8(ascii: "f"): out.append(0x0C); advance()
            case UInt8(ascii: "v"): out.append(0x0B); advance()
            case UInt8(ascii: "0"):
                advance()
                if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                    throw fail("\\0 followed by a digit is an octal escape, which JSON5 does not have")
                }
                out.append(0x00)
            case UInt8(ascii: "1")...UInt8(ascii: "9"):
                throw fail("\\\(Character(Unicode.Scalar(e))) is not an escape JSON5 has; write the character, or \\u00XX")
            case 0x0A: advance()  // line continuation
            case 0x0D:
                advance()
                if index < bytes.count && bytes[index] == 0x0A { advance() }
            case UInt8(ascii: "x"):
                advance()
                appendScalar(try parseHex(2), to: &out)
            case UInt8(ascii: "u"):
                advance()
                var scalar = try parseHex(4)
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A surrogate pair: \uD83D\uDE00.
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    else { throw fail("a lone UTF-16 surrogate in a \\u escape") }
                    advance(); advance()
                    let low = try parseHex(4)
                    guard low >= 0xDC00 && low < 0xE000 else { throw fail("a lone UTF-16 surrogate in a \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw fail("a lone UTF-16 surrogate in a \\u escape")
                }
                appendScalar(scalar, to: &out)
            case 0xE2 where Self.lineTerminator(bytes, at: index) == 3:
                // A line continuation before U+2028 or U+2029: neither stays in the string.
                advance(); advance(); advance()
            default:
                // Any other escaped character stands for itself (\" \' \\ \/ and the rest).
                out.append(e)
                advance()
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func appendScalar(_ value: UInt32, to out: inout [UInt8]) {
        let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    private mutating func parseNumber() throws(JSON5SyntaxError) -> Double {
        let start = here
        var sign = 1.0
        if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            if bytes[index] == UInt8(ascii: "-") { sign = -1 }
            advance()
        }
        let word = parseIdentifierOrDigits()
        if word == "Infinity" { return sign * .infinity }
        if word == "NaN" { return .nan }
        let lower = word.lowercased()
        if lower.hasPrefix("0x") {
            let digits = lower.dropFirst(2)
            guard !digits.isEmpty, digits.count <= 15, let v = UInt64(digits, radix: 16) else {
                throw fail("'\(word.prefix(40))' is not a number", at: start)
            }
            return sign * Double(v)
        }
        guard word.count < 256, let v = Double(word), word.first != "+", word.first != "-",
            !word.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" })
        else {
            throw fail("'\(word.prefix(40))' is not a number", at: start)
        }
        // 010 is octal in old JavaScript and not a JSON5 number: a zero before digits is refused.
        let utf8 = Array(word.utf8)
        if utf8.count > 1, utf8[0] == UInt8(ascii: "0"), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(utf8[1]) {
            throw fail("'\(word.prefix(40))' has a leading zero; write \(v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "it without it")", at: start)
        }
        return sign * v
    }

    /// Digits, letters, '.', and an exponent's sign: a number's characters.
    private mutating func parseIdentifierOrDigits() -> String {
        let start = index
        while index < bytes.count, index - start < 256 {
            let b = bytes[index]
            let isPart =
                Self.isIdentifierByte(b, first: false) || b == UInt8(ascii: ".")
                || ((b == UInt8(ascii: "+") || b == UInt8(ascii: "-")) && index > start
                    && (bytes[index - 1] | 0x20) == UInt8(ascii: "e") && !(bytes[start...].starts(with: Array("0x".utf8))))
            guard isPart, b < 0x80 else { break }
            advance()
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }
}
