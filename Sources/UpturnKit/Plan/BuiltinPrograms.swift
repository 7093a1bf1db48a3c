/// The programs shipped inside the binary, written in the plan format (`Programs/*.json5`).
public enum BuiltinPrograms {
    public static let names = ["first-time", "stretch", "core", "full"]

    /// The program's JSON5 text, or nil for an unknown name.
    public static func source(_ name: String) -> String? {
        let bytes: [UInt8]
        switch name {
        case "first-time": bytes = PackageResources.first_time_json5
        case "stretch": bytes = PackageResources.stretch_json5
        case "core": bytes = PackageResources.core_json5
        case "full": bytes = PackageResources.full_json5
        default: return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func plan(_ name: String) throws(UpturnError) -> Plan? {
        guard let text = source(name) else { return nil }
        return try PlanReader.parse(text, file: "(built-in) \(name)")
    }

    /// A program's title ("Core"), said by `serve`.
    public static func title(_ name: String) -> String? {
        guard let plan = try? plan(name) else { return nil }
        return plan.title
    }

    /// The one-line description in a program's file.
    public static func description(_ name: String) -> String {
        guard let text = source(name), let root = try? JSON5Parser.parse(text),
            case .string(let description)? = root["description"]?.value
        else { return "" }
        return description
    }
}
