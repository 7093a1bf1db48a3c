import Foundation

/// Pairing a phone, as a pure state machine: only someone in the room hears the code.
/// "Pair this phone" makes a new 6-digit code, which the box says aloud (and logs for its
/// owner); the code is good for `codeSeconds`. `attempts` wrong codes lock pairing for
/// `lockSeconds` and throw the code away (the next "Pair this phone" makes a new one).
/// No clock and no randomness of its own: tests give both.
public struct Pairing: Sendable {
    public static let codeSeconds = 300.0
    public static let lockSeconds = 60.0
    public static let attempts = 5
    /// A new code at most this often: "Pair this phone" pressed again and again (by anyone on
    /// the network) neither keeps the box talking nor throws away a code being typed.
    public static let repeatSeconds = 15.0

    private var code: String?
    private var issuedAt = 0.0
    private var failures = 0
    private var lockedUntil: Double?

    public init() {}

    public enum Begin: Equatable, Sendable {
        /// Say this code.
        case say(String)
        /// Locked: pairing opens again in this many seconds.
        case locked(Double)
        /// A code was said a moment ago: ask again in this many seconds.
        case tooSoon(Double)
    }

    public enum Attempt: Equatable, Sendable {
        case accepted
        /// Wrong; this many tries are left before pairing locks.
        case wrong(left: Int)
        case locked(Double)
        /// No code is out (none asked for, or it ran out): ask for one.
        case noCode
    }

    /// "Pair this phone": a new code, unless pairing is locked or a code was just said.
    public mutating func begin(now: Double, digits: () -> Int) -> Begin {
        if let left = lockLeft(now) { return .locked(left) }
        if code != nil, now - issuedAt < Self.repeatSeconds { return .tooSoon(Self.repeatSeconds - (now - issuedAt)) }
        code = (0..<6).map { _ in String(digits() % 10) }.joined()
        issuedAt = now
        return .say(code!)
    }

    /// A code typed on a phone.
    public mutating func attempt(_ typed: String, now: Double) -> Attempt {
        if let left = lockLeft(now) { return .locked(left) }
        guard let code, now - issuedAt <= Self.codeSeconds else {
            code = nil
            return .noCode
        }
        let digits = typed.filter(\.isNumber)
        if Self.same(digits, code) {
            self.code = nil
            failures = 0
            return .accepted
        }
        failures += 1
        if failures >= Self.attempts {
            failures = 0
            self.code = nil
            lockedUntil = now + Self.lockSeconds
            return .locked(Self.lockSeconds)
        }
        return .wrong(left: Self.attempts - failures)
    }

    private mutating func lockLeft(_ now: Double) -> Double? {
        guard let until = lockedUntil else { return nil }
        if now >= until {
            lockedUntil = nil
            return nil
        }
        return until - now
    }

    /// Compares every byte whatever the first difference (no timing to learn the code from).
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// The code as the box says it: "4 7 2 9 1 5".
    public static func spoken(_ code: String) -> String { code.map(String.init).joined(separator: " ") }

    /// A paired phone's token: 32 random bytes from the system's secure generator, as hex.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// The paired phones, kept in `$XDG_CONFIG_HOME/upturn/web-devices.jsonl` (one JSON object
/// a line: name, token, when paired; readable by the owner only). `upturn web devices`
/// lists them, `upturn web forget NAME` removes one; the service reads the file again when
/// it changes, so a phone forgotten is locked out at its next request.
public struct PairedDevices: Sendable {
    public struct Device: Equatable, Sendable {
        public var name: String
        public var token: String
        public var paired: String
    }

    public let path: String
    public private(set) var devices: [Device] = []

    public static var defaultPath: String { XDGFolders.configHome + "/upturn/web-devices.jsonl" }

    /// Reads the file; a missing file is no phones, a bad line is skipped with a warning.
    public init(path: String = PairedDevices.defaultPath, warn: (String) -> Void = { _ in }) {
        self.path = path
        guard let bytes = try? FileBytes.read(path, limit: 1 << 20, what: "paired phones") else { return }
        for (index, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n").enumerated() {
            guard let node = try? JSON5Parser.parse(String(line)),
                case .string(let name)? = node["name"]?.value, case .string(let token)? = node["token"]?.value, token.count == 64
            else {
                warn("\(path):\(index + 1): not a paired phone; skipped")
                continue
            }
            var paired = ""
            if case .string(let when)? = node["paired"]?.value { paired = when }
            devices.append(Device(name: name, token: token, paired: paired))
        }
    }

    /// The phone holding `token`, if any (every token compared whole).
    public func device(token: String) -> Device? {
        var found: Device?
        for device in devices where Pairing.same(device.token, token) { found = device }
        return found
    }

    /// A name a person may give a phone: letters, digits, spaces and `-_.'`, 1 to 40 of them,
    /// not starting with a dot; anything else is taken out.
    public static func cleanName(_ raw: String) -> String {
        let allowed = raw.filter { $0.isLetter || $0.isNumber || " -_.'".contains($0) }
        var name = String(allowed.trimmingCharacters(in: .whitespaces).prefix(40))
        while name.hasPrefix(".") { name.removeFirst() }
        return name.isEmpty ? "phone" : name
    }

    /// Adds a phone (a name taken already gets a number after it) and writes the file.
    public mutating func add(name raw: String, token: String, at date: Date = Date()) throws(UpturnError) -> String {
        let base = Self.cleanName(raw)
        var name = base, n = 2
        while devices.contains(where: { $0.name == name }) {
            name = "\(base) \(n)"
            n += 1
        }
        devices.append(Device(name: name, token: token, paired: DateText.iso(date)))
        try write()
        return name
    }

    /// Removes a phone by name; false when there is none of that name.
    public mutating func forget(_ name: String) throws(UpturnError) -> Bool {
        let before = devices.count
        devices.removeAll { $0.name == name }
        guard devices.count != before else { return false }
        try write()
        return true
    }

    private func write() throws(UpturnError) {
        let text = devices.map {
            "{\"name\": \(JSONText.string($0.name)), \"token\": \(JSONText.string($0.token)), \"paired\": \(JSONText.string($0.paired))}\n"
        }.joined()
        let temporary = path + ".new"
        do throws(Errno) {
            try? FileManager.default.createDirectory(atPath: PathText.parent(path), withIntermediateDirectories: true)
            let fd = try SystemCall.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o600)
            do throws(Errno) {
                try SystemCall.writeAll(fd, Array(text.utf8))
                try SystemCall.closeReporting(fd)
            } catch {
                SystemCall.close(fd)
                throw error
            }
            try SystemCall.rename(temporary, to: path)
        } catch {
            try? SystemCall.unlink(temporary)
            throw UpturnError.cantCreate("\(path): cannot write the paired phones: \(error)")
        }
    }
}
