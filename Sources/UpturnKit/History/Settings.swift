import Foundation

/// The user's settings: `$XDG_CONFIG_HOME/upturn/settings.json5`, all keys optional:
/// `{alone: true, ceiling: 45, programs: ["stretch", "core"]}`.
public struct Settings: Sendable, Equatable {
    /// Safety check-ins during long holds (`--alone`).
    public var alone = false
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
                object.rejectUnknownKeys(["$schema", "alone", "ceiling", "programs"], problems: &problems, what: "settings")
                if let alone = object.bool("alone", problems: &problems) { settings.alone = alone }
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
}
