import Foundation

/// The user's settings: `$XDG_CONFIG_HOME/upturn/settings.json5`, all keys optional:
/// `{alone: true, ceiling: 45, programs: ["stretch", "core"], volume: 80, device: "plughw:1",
/// pack: "fr", voice_control: false}`.
public struct Settings: Sendable, Equatable {
    /// Safety check-ins during long holds (`--alone`).
    public var alone = false
    /// The service's volume when `--volume` is not given (the companion page sets it).
    public var volume: Int?
    /// The service's ALSA device and cue pack when `--device` / `--pack` are not given.
    public var device: String?
    public var pack: String?
    /// Voice control acts on what it hears (when the service has it among its controls).
    public var voiceControl = true
    public var rules = Progression.Rules()
    public init() {}

    public static var file: String { XDGFolders.configHome + "/upturn/settings.json5" }

    /// The settings, or the defaults when there is no file; every problem in it at once (65).
    public static func read(file: String = Settings.file) throws(UpturnError) -> Settings {
        var settings = Settings()
        guard FileManager.default.fileExists(atPath: file) else { return settings }
        let bytes = try FileBytes.read(file, limit: 1 << 20, what: "settings file")
        var problems = Problems(file: file)
        do {
            let root = try JSON5Parser.parse(bytes)
            if let object = ObjectReader(root, path: "", problems: &problems) {
                object.rejectUnknownKeys(
                    ["$schema", "alone", "ceiling", "programs", "volume", "device", "pack", "voice_control"], problems: &problems, what: "settings")
                if let device = object.string("device", problems: &problems, maxLength: 200) { settings.device = device }
                if let pack = object.string("pack", problems: &problems, maxLength: 4096) { settings.pack = pack }
                if let on = object.bool("voice_control", problems: &problems) { settings.voiceControl = on }
                if let alone = object.bool("alone", problems: &problems) { settings.alone = alone }
                if let volume = object.integer("volume", in: 0...100, problems: &problems) { settings.volume = volume }
                if let ceiling = object.integer("ceiling", in: 20...90, problems: &problems, unit: "degrees") { settings.rules.ceiling = ceiling }
                if let value = object["programs"] {
                    var names: [String] = []
                    if case .array(let items) = value.value {
                        for (i, item) in items.enumerated() {
                            if case .string(let name) = item.value, BuiltinPrograms.names.contains(name), name != "first-time" {
                                names.append(name)
                            } else {
                                let choices = BuiltinPrograms.names.filter { $0 != "first-time" }
                                let found: String
                                if case .string(let name) = item.value { found = "'\(name.prefix(40))'\(Spelling.hint(for: name, in: choices))" } else { found = item.typeName }
                                problems.add("expected one of \(choices.joined(separator: ", ")), found \(found)", at: item.location, path: "programs[\(i)]")
                            }
                        }
                        if items.isEmpty { problems.add("name at least one program", at: value.location, path: "programs") }
                    } else {
                        problems.add("expected a list of program names, found \(value.typeName)", at: value.location, path: "programs")
                    }
                    if !names.isEmpty { settings.rules.programs = names }
                }
            }
        } catch {
            problems.add(syntax: error)
        }
        try problems.throwIfAny()
        return settings
    }

    /// The `alone` setting; a settings file that cannot be read turns check-ins on (the safe
    /// side) with a warning.
    public static func aloneSetting(log: (String) -> Void) -> Bool {
        do throws(UpturnError) {
            return try read().alone
        } catch {
            log("warning: \(error.problems.first ?? ""); safety check-ins are on")
            return true
        }
    }

    /// Sets one plain key (`alone`, `volume`, `ceiling`, `device`, `pack`, `voice_control`;
    /// `value` as JSON5 text: `true`, `80`, `"plughw:1"`) in the settings file, keeping every
    /// other line and comment as it was; the file must read before and after (else it is put
    /// back, and the error names the file and place).
    public static func set(_ key: String, to value: String, file: String = Settings.file) throws(UpturnError) {
        let fm = FileManager.default
        let exists = fm.fileExists(atPath: file)
        let before = exists ? String(decoding: try FileBytes.read(file, limit: 1 << 20, what: "settings file"), as: UTF8.self) : "{\n}\n"
        if exists { _ = try read(file: file) }
        let root: JSONNode
        do { root = try JSON5Parser.parse(before) } catch {
            throw UpturnError(.dataError, "\(file):\(error.location): \(error.message)")
        }
        var lines = before.components(separatedBy: "\n")
        if case .object(let members) = root.value, let member = members.first(where: { $0.key == key }) {
            let at = member.value.location
            let line = Array(lines[at.line - 1])
            let start = at.column - 1
            let rest = start <= line.count ? String(line[start...]) : ""
            guard let token = rest.prefixMatch(of: /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|true|false|-?[0-9]+(\.[0-9]+)?/) else {
                throw UpturnError(.dataError, "\(file):\(at): \(key) is not a plain value; change it in the file")
            }
            lines[at.line - 1] = String(line[..<start]) + value + String(rest.dropFirst(token.0.count))
        } else if let open = lines.firstIndex(where: { $0.contains("{") }) {
            lines.insert("  \(key): \(value),", at: open + 1)
        } else {
            throw UpturnError(.dataError, "\(file): not an object; change it in the file")
        }
        func write(_ text: String) throws(UpturnError) {
            do {
                try fm.createDirectory(atPath: PathText.parent(file), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
            } catch {
                throw UpturnError.cantCreate("\(file): cannot write the settings")
            }
        }
        try write(lines.joined(separator: "\n"))
        do throws(UpturnError) { _ = try read(file: file) } catch {
            if exists { try? write(before) } else { try? fm.removeItem(atPath: file) }
            throw error
        }
    }
}
