import Foundation
import Synchronization

/// The terminal as a remote: space toggles, `n` skips, `b` goes back, `q` or Escape stops.
/// The terminal is put in raw mode and restored by `stop()`, which the command calls on
/// every way out (a normal end, a signal, an error).
public final class KeyboardControl: ControlSource, @unchecked Sendable {
    // @unchecked: `saved` and the thread are set by start() and read by stop() on the
    // command's thread; the reading thread touches only the descriptor and the queue.
    private let fd: Int32
    private var saved: termios?
    private var wake: WakePipe?
    private var thread: Thread?

    public init(fd: Int32 = STDIN_FILENO) {
        self.fd = fd
    }

    /// What a key means; nil for keys that mean nothing.
    public static func command(for byte: UInt8) -> ControlCommand? {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "p"): return .toggle
        case UInt8(ascii: "n"), UInt8(ascii: "s"): return .skip
        case UInt8(ascii: "b"): return .back
        case UInt8(ascii: "q"), 0x1B: return .stop
        default: return nil
        }
    }

    /// The commands in bytes read at once. An Escape that starts a sequence (an arrow key)
    /// is not a stop.
    public static func commands(in bytes: [UInt8]) -> [ControlCommand] {
        var out: [ControlCommand] = []
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == 0x1B && i + 1 < bytes.count {
                // ESC [ ... letter: right/left arrows skip and go back.
                var j = i + 1
                if bytes[j] == UInt8(ascii: "[") || bytes[j] == UInt8(ascii: "O") { j += 1 }
                while j < bytes.count && !(bytes[j] >= 0x40 && bytes[j] <= 0x7E) { j += 1 }
                if j < bytes.count {
                    if bytes[j] == UInt8(ascii: "C") { out.append(.skip) }
                    if bytes[j] == UInt8(ascii: "D") { out.append(.back) }
                }
                i = j + 1
                continue
            }
            if let command = command(for: byte) { out.append(command) }
            i += 1
        }
        return out
    }

    /// True when `fd` is a terminal and this process is in its foreground process group.
    /// A program started with `&` or from a background job is not, and touching the
    /// terminal's mode or reading it would stop the whole player with SIGTTOU or SIGTTIN.
    public static func isForeground(_ fd: Int32 = STDIN_FILENO) -> Bool {
        SystemCall.ownsTerminal(fd)
    }

    /// Sets the terminal's mode with SIGTTOU blocked on this thread, so a player that was
    /// moved to the background (Ctrl-Z, then `bg`) restores the terminal instead of stopping.
    private func setMode(_ mode: inout termios) {
        SystemCall.setTerminalMode(fd, mode)
    }

    public func start(_ queue: ControlQueue) throws(UpturnError) {
        guard isatty(fd) == 1 else { throw UpturnError.usage("keyboard control needs a terminal on standard input") }
        guard Self.isForeground(fd) else {
            throw UpturnError.usage("keyboard control needs upturn in the terminal's foreground, not started with & or from a background job")
        }
        guard var mode = SystemCall.terminalMode(fd) else { throw UpturnError.usage("cannot read the terminal's mode") }
        saved = mode
        mode.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &mode.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        let wake = try WakePipe()
        self.wake = wake
        setMode(&mode)
        let thread = Thread(named: "upturn-keyboard") { [self] in
            defer { wake.closeReadEnd() }
            var buffer = [UInt8](repeating: 0, count: 64)
            while !wake.isWoken {
                var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), wake.pollEntry]
                guard (try? SystemCall.poll(&fds, milliseconds: -1)) ?? 0 > 0, fds[1].revents == 0, fds[0].revents != 0 else { continue }
                // Moved to the background: the keys are the shell's now, and reading would stop us.
                guard SystemCall.ownsTerminal(fd) else {
                    SystemCall.sleep(milliseconds: 200)
                    continue
                }
                guard let n = try? SystemCall.read(fd, into: &buffer), n > 0 else { break }
                for command in Self.commands(in: Array(buffer[0..<n])) { queue.post(command) }
            }
        }
        self.thread = thread
        thread.start()
    }

    public func stop() {
        wake?.wake()
        if var mode = saved {
            setMode(&mode)
            saved = nil
        }
    }
}
