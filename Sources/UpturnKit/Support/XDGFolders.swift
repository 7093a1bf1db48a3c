import Foundation

/// The XDG base folders (only absolute values count, as the spec says), for the history,
/// the packs, the settings and the key map.
public enum XDGFolders {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var home: String { environment["HOME"] ?? NSHomeDirectory() }

    /// `$XDG_DATA_HOME`, or `~/.local/share`.
    public static var dataHome: String {
        environment["XDG_DATA_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.local/share"
    }

    /// `$XDG_CONFIG_HOME`, or `~/.config`.
    public static var configHome: String {
        environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.config"
    }
}
