/// The JSON Schemas of plans and packs, shipped in the binary (`upturn schema plan|pack`).
public enum Schemas {
    public static func text(_ name: String) -> String? {
        switch name {
        case "plan": return String(decoding: PackageResources.plan_schema_json, as: UTF8.self)
        case "pack": return String(decoding: PackageResources.pack_schema_json, as: UTF8.self)
        default: return nil
        }
    }
}
