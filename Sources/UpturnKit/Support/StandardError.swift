/// Diagnostics on stderr, written straight to descriptor 2. A closed or broken stderr (the
/// terminal or SSH session gone, a pipe whose reader left) never stops a session: the
/// error is ignored, where Foundation's `FileHandle.write` would trap.
public enum StandardError {
    /// Writes `text` and a newline; control characters in it (from a plan's title or a file
    /// name) are shown escaped, never obeyed by the terminal.
    public static func write(_ text: String) {
        writeRaw(TerminalText.safe(text, keepNewlines: true) + "\n")
    }

    /// Writes `text` as it is (a status line redrawn in place).
    public static func writeRaw(_ text: String) {
        try? SystemCall.writeAll(2, Array(text.utf8))
    }
}
