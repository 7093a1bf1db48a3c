import Foundation

/// A journal line: a flat JSON object of strings, numbers, booleans and nulls, read in one
/// pass without Foundation (JSONSerialization and its casts cost about 10 µs a line). A line
/// it does not understand (escapes, nesting) goes to JSONSerialization instead, so anything
/// valid still reads; anything invalid reads as nil.
enum FlatJSON {
    enum Value: Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
        /// A list of numbers (a session's angle trace); read through the slow path.
        case numbers([Double])

        var string: String? { if case .string(let s) = self { return s } else { return nil } }
        var double: Double? { if case .number(let n) = self { return n } else { return nil } }
        /// A whole number; nil for a fraction or anything else.
        var int: Int? {
            guard case .number(let n) = self, n == n.rounded(), abs(n) < 1e15 else { return nil }
            return Int(n)
        }
    }

    /// The members in order; a handful, so a search beats hashing.
    struct Object {
        var members: [(key: String, value: Value)] = []
        subscript(key: String) -> Value? {
            get { members.last { $0.key == key }?.value }
            set { if let newValue { members.append((key, newValue)) } }
        }
    }

    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> Object? {
        if let fast = parseFlat(line) { return fast }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return nil }
        var out = Object()
        for (key, value) in object {
            switch value {
            case let s as String: out[key] = .string(s)
            case let n as NSNumber:
                // NSNumber bridges booleans too: tell them apart by their type encoding.
                if String(cString: n.objCType) == "c" { out[key] = .bool(n.boolValue) } else { out[key] = .number(n.doubleValue) }
            case is NSNull: out[key] = .null
            case let list as [NSNumber]: out[key] = .numbers(list.map(\.doubleValue))
            default: continue  // nested values: from a newer version, ignored
            }
        }
        return out
    }

    private static func parseFlat(_ bytes: UnsafeBufferPointer<UInt8>) -> Object? {
        var scanner = FlatScanner(bytes)
        return scanner.object()
    }
}

/// One pass over a flat JSON object's bytes; nil for anything it does not read (the slow
/// path takes those).
private struct FlatScanner {
    private let b: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var n: Int { b.count }

    init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

    private mutating func skipSpace() { while i < n && (b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D) { i += 1 } }

    /// True, past the byte, when it is next.
    private mutating func take(_ byte: UInt8) -> Bool {
        guard i < n, b[i] == byte else { return false }
        i += 1
        return true
    }

    /// `{"key": value, ...}` and nothing after it but spaces.
    mutating func object() -> FlatJSON.Object? {
        skipSpace()
        guard take(0x7B) else { return nil }
        var out = FlatJSON.Object()
        out.members.reserveCapacity(12)
        skipSpace()
        if !take(0x7D) {
            while true {
                skipSpace()
                guard let key = string() else { return nil }
                skipSpace()
                guard take(0x3A) else { return nil }
                skipSpace()
                guard let value = value() else { return nil }
                out[key] = value
                skipSpace()
                if take(0x2C) { continue }
                guard take(0x7D) else { return nil }
                break
            }
        }
        skipSpace()
        return i == n ? out : nil
    }

    /// A string without escapes or control characters.
    private mutating func string() -> String? {
        guard take(0x22) else { return nil }
        let start = i
        var ascii = true
        while i < n && b[i] != 0x22 {
            if b[i] == 0x5C || b[i] < 0x20 { return nil }  // escapes and control characters: the slow path
            if b[i] >= 0x80 { ascii = false }
            i += 1
        }
        guard i < n else { return nil }
        let bytes = UnsafeBufferPointer(rebasing: b[start..<i])
        let text = ascii ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
        i += 1
        return text
    }

    private mutating func value() -> FlatJSON.Value? {
        guard i < n else { return nil }
        switch b[i] {
        case 0x22:
            return string().map { .string($0) }
        case 0x74, 0x66, 0x6E:
            let words: [(String, FlatJSON.Value)] = [("true", .bool(true)), ("false", .bool(false)), ("null", .null)]
            guard let (word, value) = words.first(where: { w in
                let u = Array(w.0.utf8)
                return i + u.count <= n && Array(b[i..<(i + u.count)]) == u
            }) else { return nil }
            i += word.utf8.count
            return value
        default:
            let start = i
            while i < n, let c = Optional(b[i]), (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E || c == 0x65 || c == 0x45 {
                i += 1
            }
            guard i > start, let value = Double(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)),
                value.isFinite
            else { return nil }
            return .number(value)
        }
    }
}
