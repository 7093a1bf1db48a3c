import Foundation

/// Collects every problem in a file so a user sees them all at once, each on one line as
/// `file:line:column: path: message`.
public struct Problems: Sendable {
    public let file: String
    public private(set) var lines: [String] = []

    public init(file: String) {
        self.file = file
    }

    public var isEmpty: Bool { lines.isEmpty }

    public mutating func add(_ message: String, at location: SourceLocation?, path: String = "") {
        var line = file
        if let location { line += ":\(location.line):\(location.column)" }
        line += ": "
        if !path.isEmpty { line += path + ": " }
        lines.append(line + message)
    }

    public mutating func add(syntax error: JSON5SyntaxError) {
        add(error.message, at: error.location)
    }

    /// Throws the collected problems as one error with the data-error exit code.
    public func throwIfAny() throws(UpturnError) {
        if !lines.isEmpty { throw UpturnError(.dataError, problems: lines) }
    }
}

/// Typed access to a JSON5 object's members that records a problem for every wrong type,
/// unknown key and out-of-range value, and carries on.
struct ObjectReader {
    let node: JSONNode
    let path: String
    let members: [(key: String, keyLocation: SourceLocation, value: JSONNode)]

    /// Nil (after recording a problem) when the node is not an object.
    init?(_ node: JSONNode, path: String, problems: inout Problems) {
        guard case .object(let members) = node.value else {
            problems.add("expected an object, found \(node.typeName)", at: node.location, path: path)
            return nil
        }
        self.node = node
        self.path = path
        self.members = members
    }

    func has(_ key: String) -> Bool { members.contains { $0.key == key } }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    subscript(key: String) -> JSONNode? { members.first { $0.key == key }?.value }

    /// Records an unknown-key problem for every member outside `known`, with a hint.
    func rejectUnknownKeys(_ known: [String], problems: inout Problems, what: String) {
        for member in members where !known.contains(member.key) && member.key != "$schema" {
            let hint = Spelling.hint(for: member.key, in: known)
            problems.add(
                "unknown key '\(member.key.prefix(60))' in \(what)\(hint)", at: member.keyLocation, path: path)
        }
    }

    func string(_ key: String, problems: inout Problems, maxLength: Int = 1000, allowEmpty: Bool = false) -> String? {
        guard let value = self[key] else { return nil }
        guard case .string(let s) = value.value else {
            problems.add("expected a string, found \(value.typeName)", at: value.location, path: child(key))
            return nil
        }
        if s.count > maxLength {
            problems.add("text longer than \(maxLength) characters", at: value.location, path: child(key))
            return nil
        }
        if !allowEmpty && s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.add("must not be empty", at: value.location, path: child(key))
            return nil
        }
        return s
    }

    func bool(_ key: String, problems: inout Problems) -> Bool? {
        guard let value = self[key] else { return nil }
        guard case .bool(let b) = value.value else {
            problems.add("expected true or false, found \(value.typeName)", at: value.location, path: child(key))
            return nil
        }
        return b
    }

    func integer(_ key: String, in range: ClosedRange<Int>, problems: inout Problems, unit: String = "") -> Int? {
        guard let value = self[key] else { return nil }
        return ObjectReader.integer(value, in: range, path: child(key), problems: &problems, unit: unit)
    }

    static func integer(_ value: JSONNode, in range: ClosedRange<Int>, path: String, problems: inout Problems, unit: String = "") -> Int? {
        guard case .number(let d) = value.value else {
            problems.add("expected a whole number, found \(value.typeName)", at: value.location, path: path)
            return nil
        }
        guard d.isFinite, d == d.rounded(), d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
            let suffix = unit.isEmpty ? "" : " \(unit)"
            problems.add(
                "must be a whole number from \(range.lowerBound) to \(range.upperBound)\(suffix)", at: value.location,
                path: path)
            return nil
        }
        return Int(d)
    }

    /// A duration as `90`, `"90s"`, `"2m"` or `"1m30s"`, in milliseconds, within `range`.
    func duration(_ key: String, in range: ClosedRange<Int>, problems: inout Problems) -> Int? {
        guard let value = self[key] else { return nil }
        return ObjectReader.duration(value, in: range, path: child(key), problems: &problems)
    }

    static func duration(_ value: JSONNode, in range: ClosedRange<Int>, path: String, problems: inout Problems) -> Int? {
        let ms: Double?
        switch value.value {
        case .number(let d): ms = d.isFinite && d >= 0 ? d * 1000 : nil
        case .string(let s): ms = DurationText.exactMilliseconds(s)
        default:
            problems.add(
                "expected a duration such as 90, \"90s\", \"2m\" or \"1m30s\", found \(value.typeName)",
                at: value.location, path: path)
            return nil
        }
        guard let ms else {
            problems.add("not a duration; write it as 90, \"90s\", \"2m\" or \"1m30s\"", at: value.location, path: path)
            return nil
        }
        // Compared as a Double: "1e300" is out of range, never an Int that traps.
        guard ms.isFinite, ms.rounded() >= Double(range.lowerBound), ms.rounded() <= Double(range.upperBound) else {
            problems.add(
                "must be from \(DurationText.short(milliseconds: range.lowerBound)) to \(DurationText.short(milliseconds: range.upperBound))",
                at: value.location, path: path)
            return nil
        }
        return Int(ms.rounded())
    }
}
