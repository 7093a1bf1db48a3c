import Foundation

/// Path arithmetic on the path's text, as POSIX `dirname`/`basename` do it.
///
/// Foundation's `NSString` path methods trap (SIGILL) on one-character relative paths and
/// some non-ASCII ones (`"x"`, `"é"`) on Linux (issue 18): every path the program takes
/// apart goes through here instead.
public enum PathText {
    /// The folder a path is in: `"a/b"` → `"a"`, `"a/b/"` → `"a"`, `"/a"` → `"/"`, `"x"` → `""`
    /// (the current folder), `"/"` → `"/"`.
    public static func parent(_ path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        var end = slash
        while end > 0, bytes[end - 1] == UInt8(ascii: "/") { end -= 1 }
        return end == 0 ? "/" : String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// The last part of a path: `"a/b/"` → `"b"`, `"x"` → `"x"`, `"/"` → `"/"`, `""` → `""`.
    public static func lastComponent(_ path: String) -> String {
        var bytes = Array(path.utf8)
        while bytes.count > 1, bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        guard bytes != [UInt8(ascii: "/")], let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else {
            return String(decoding: bytes, as: UTF8.self)
        }
        return String(decoding: bytes[(slash + 1)...], as: UTF8.self)
    }

    /// `folder/name`, with one slash between; an empty folder is the current one.
    public static func join(_ folder: String, _ name: String) -> String {
        if folder.isEmpty { return name }
        return folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// The path with every link resolved (`realpath(3)`); the path as given when it cannot be.
    public static func resolved(_ path: String) -> String {
        guard let real = realpath(path.isEmpty ? "." : path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }
}
