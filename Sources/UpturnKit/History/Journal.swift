import Foundation

/// One session in the history.
public struct SessionRecord: Equatable, Sendable {
    public enum Ending: String, Sendable {
        case finished
        case stopped = "stopped by the user"
        case audioLost = "audio lost"
        /// Nobody answered a safety check-in: the session went to its closing.
        case noAnswer = "no answer to a check-in"
        /// Tilted past the plan's cap on continuous inverted time: the engine went to the closing.
        case invertedCap = "the inverted-time cap"
        /// A start with no end: the player was killed or the power went.
        case killed
    }

    public var id: String
    public var start: Date
    public var end: Date?
    public var plan: String
    public var title: String
    public var stepsDone = 0
    public var steps = 0
    public var invertedSeconds = 0.0
    public var highestAngle = 0
    public var ending: Ending = .killed
    /// For today's plan: the progression level and the program it was played at. A level
    /// that is not a whole number reads as 0 (no level).
    public var level: Int?
    public var program: String?
    /// With the table followed (`--angle`): the measured angle once a second (the inverted
    /// time and the highest angle are then measured too).
    public var angleTrace: [Double] = []
    /// The angle was measured (`angle_measured` in the journal): `highestAngle` is the table's.
    public var angleMeasured = false

    public init(id: String, start: Date, plan: String, title: String, steps: Int) {
        self.id = id
        self.start = start
        self.plan = plan
        self.title = title
        self.steps = steps
    }
}

/// The history: an append-only JSON Lines file, one line when a session starts and one when
/// it ends, each flushed to disk (fsync) before play goes on. A power cut or `kill -9` at any
/// moment leaves every earlier line intact; a start without an end reads as "killed"; a torn
/// or garbled line is skipped and reported, never fatal.
public final class Journal {
    public let path: String
    /// The newest line this version writes: 2 for progress lines (an older Upturn reads
    /// them as "from a newer Upturn"); start and end lines are still version 1.
    public static let version = 2

    /// `$XDG_DATA_HOME/upturn/history.jsonl`, or `~/.local/share/upturn/history.jsonl`.
    public static var defaultPath: String { XDGFolders.dataHome + "/upturn/history.jsonl" }

    public init(path: String = Journal.defaultPath) {
        self.path = path
    }


    /// Appends one line and waits until it is on disk.
    private func append(_ object: [String: Any]) throws(UpturnError) {
        let folder = PathText.parent(path)
        if !folder.isEmpty { try? FileBytes.makePrivateFolder(folder) }  // never the working folder
        // Encoded by hand, keys sorted: JSONSerialization pulls in ICU's data (3 MB resident)
        // to write a number.
        var fields: [String] = []
        for key in object.keys.sorted() {
            let value: String
            switch object[key] {
            case let s as String: value = JSONText.string(s)
            case let n as Int: value = "\(n)"
            case let d as Double where d.isFinite: value = "\(d)"
            case let b as Bool: value = b ? "true" : "false"
            case let list as [Double]: value = "[" + list.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",") + "]"
            default: throw UpturnError.internalError("cannot encode the history field \(key)")
            }
            fields.append(JSONText.string(key) + ":" + value)
        }
        let data = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        do throws(Errno) {
            // The sessions are the user's alone: 0600, and an older journal made 0644 is closed.
            let fd = try SystemCall.open(path, O_RDWR | O_APPEND | O_CREAT, mode: 0o600)
            defer { SystemCall.close(fd) }
            let info = try SystemCall.fileStatus(fd)
            if info.st_uid == getuid() && info.st_mode & 0o077 != 0 { fchmod(fd, info.st_mode & 0o700) }
            // A torn last line (a crash mid-write) must not swallow this one: start on a new line.
            var line = [UInt8](data) + [0x0A]
            let size = Int(info.st_size)
            if size > 0, try SystemCall.readByte(fd, at: size - 1) != 0x0A { line.insert(0x0A, at: 0) }
            try SystemCall.writeAll(fd, line)
            try SystemCall.sync(fd)
        } catch {
            throw UpturnError.system(.cantCreate, "\(path): cannot write the history", error)
        }
    }

    public func recordStart(_ record: SessionRecord) throws(UpturnError) {
        var line: [String: Any] = [
            "v": 1, "event": "start", "id": record.id, "start": DateText.iso(record.start),
            "plan": record.plan, "title": record.title, "steps": record.steps,
        ]
        if let level = record.level { line["level"] = level }
        if let program = record.program { line["program"] = program }
        try append(line)
    }

    /// How far a session has come, while it plays: a kill or a power cut then still leaves
    /// the steps done and the time inverted so far.
    public func recordProgress(_ record: SessionRecord) throws(UpturnError) {
        try append([
            "v": 2, "event": "progress", "id": record.id, "steps_done": record.stepsDone,
            "inverted_seconds": (record.invertedSeconds * 10).rounded() / 10, "highest_angle": record.highestAngle,
        ])
    }

    public func recordEnd(_ record: SessionRecord) throws(UpturnError) {
        var line: [String: Any] = [
            "v": 1, "event": "end", "id": record.id, "end": DateText.iso(record.end ?? Date()),
            "steps_done": record.stepsDone, "inverted_seconds": (record.invertedSeconds * 10).rounded() / 10,
            "highest_angle": record.highestAngle, "ended": record.ending.rawValue,
        ]
        if !record.angleTrace.isEmpty {
            line["angle_measured"] = true
            line["angle_trace"] = record.angleTrace
        }
        try append(line)
    }

    /// A whole number in `range`; 0 when absent; nil when present and not such a number.
    private static func field(_ object: FlatJSON.Object, _ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = object[key] else { return 0 }
        guard let n = value.int, range.contains(n) else { return nil }
        return n
    }

    /// Every session, oldest first, and one warning per kind of line that could not be read.
    /// A journal that is not there is a new history; one that is there but cannot be read (a
    /// folder, no permission) is a warning, never "0 sessions" said as if true.
    public func read() -> (sessions: [SessionRecord], warnings: [String]) {
        let info: stat
        do throws(Errno) { info = try SystemCall.fileStatus(path) } catch {
            if error == .noSuchFile { return ([], []) }
            return ([], ["\(TerminalText.safe(path)): cannot read the history (\(error))"])
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            let kind = info.st_mode & S_IFMT == S_IFDIR ? "it is a folder" : "it is not a file"
            return ([], ["\(TerminalText.safe(path)): cannot read the history: \(kind)"])
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return ([], ["\(TerminalText.safe(path)): cannot read the history (\(Errno.current))"])
        }
        return Self.parse([UInt8](data), path: path)
    }

    /// The sessions in a journal's bytes; `path` only names it in the warnings.
    public static func parse(_ bytes: [UInt8], path: String) -> (sessions: [SessionRecord], warnings: [String]) {
        var sessions: [SessionRecord] = []
        var index: [String: Int] = [:]
        var torn = 0, garbled = 0, newer = 0
        bytes.withUnsafeBufferPointer { all in
            var lineStart = 0
            while lineStart < all.count {
                let newline = all[lineStart...].firstIndex(of: 0x0A)
                let end = newline ?? all.count
                let line = UnsafeBufferPointer(rebasing: all[lineStart..<end])
                lineStart = end + 1
                if line.isEmpty { continue }
                guard let object = FlatJSON.parse(line) else {
                    if newline == nil { torn += 1 } else { garbled += 1 }
                    continue
                }
                let version = object["v"]?.int ?? 0
                if version > Self.version { newer += 1 }
                guard let id = object["id"]?.string, let event = object["event"]?.string else {
                    if version <= Self.version { garbled += 1 }  // a newer line is counted once, as newer
                    continue
                }
                switch event {
                case "start":
                    guard let start = object["start"]?.string.flatMap(DateText.parse) else {
                        garbled += 1
                        continue
                    }
                    var record = SessionRecord(
                        id: id, start: start, plan: object["plan"]?.string ?? "?", title: object["title"]?.string ?? "",
                        steps: object["steps"]?.int ?? 0)
                    record.ending = .killed
                    if let level = object["level"] { record.level = level.int ?? 0 }
                    record.program = object["program"]?.string
                    index[id] = sessions.count
                    sessions.append(record)
                case "end", "progress":
                    // A number out of range (a hand-edited or damaged line) skips the line.
                    guard let i = index[id], let done = Self.field(object, "steps_done", in: 0...100_000),
                        let angle = Self.field(object, "highest_angle", in: 0...90),
                        let inverted = object["inverted_seconds"].map({ $0.double }) ?? 0, (0.0...1e7).contains(inverted)
                    else {
                        garbled += 1
                        continue
                    }
                    sessions[i].stepsDone = done
                    sessions[i].invertedSeconds = inverted
                    sessions[i].highestAngle = angle
                    if event == "end" {
                        if case .bool(true)? = object["angle_measured"] { sessions[i].angleMeasured = true }
                        if case .numbers(let trace)? = object["angle_trace"] { sessions[i].angleTrace = trace.filter { (-90...90).contains($0) } }
                        sessions[i].end = object["end"]?.string.flatMap(DateText.parse)
                        sessions[i].ending = SessionRecord.Ending(rawValue: object["ended"]?.string ?? "") ?? .killed
                    }
                default:
                    if version <= Self.version { garbled += 1 }
                }
            }
        }
        var warnings: [String] = []
        if torn > 0 { warnings.append("\(path): ignored a torn last line (a session was cut off while it was written)") }
        if garbled > 0 { warnings.append("\(path): skipped \(garbled) line\(garbled == 1 ? "" : "s") that could not be read") }
        if newer > 0 { warnings.append("\(path): \(newer) line\(newer == 1 ? " is" : "s are") from a newer Upturn; read as far as possible") }
        return (sessions, warnings)
    }
}
