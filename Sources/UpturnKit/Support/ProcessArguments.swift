import Foundation

/// The command line's words. Swift's `CommandLine.arguments` replaces bytes that are not
/// UTF-8, so a file name in another encoding would silently name another file (`render -o`
/// wrote a different one): such a word is refused instead, with its place.
public enum ProcessArguments {
    /// The words after the program's name, or nil (after a one-line error on stderr) when one
    /// is not valid UTF-8.
    public static func validUTF8() -> [String]? {
        var words: [String] = []
        for i in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[i], let word = String(validatingCString: raw) else {
                StandardError.write("upturn: argument \(i) is not valid UTF-8; rename the file, or run with a UTF-8 locale's names")
                return nil
            }
            words.append(word)
        }
        return words
    }
}
