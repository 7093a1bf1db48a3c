// The default English cue pack and its chimes, embedded in the binary so that Upturn plays
// from anywhere, and so every other pack can fall back to it key by key.
// Other shipped packs are read from the data folder at run time.

/// The files of the embedded default pack, by their path under `Sounds/`.
public enum ShippedSounds {
    public static let defaultPackName = "en"

    public static func file(_ path: String) -> [UInt8]? {
        switch path {
        case "en/pack.json5": return PackageResources.pack_json5
        case "en/bell.flac": return PackageResources.bell_flac
        case "en/tick.flac": return PackageResources.tick_flac
        case "en/beep.flac": return PackageResources.beep_flac
        default: return nil
        }
    }

    /// The folder this file was compiled from: the source checkout's `Sounds/`, used when
    /// running from the checkout (`swift run`, tests) to find the other shipped packs.
    public static let sourceFolder: String = {
        let path = #filePath
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }()
}
