import Glibc

/// The exit codes of the `upturn` command, as DESIGN.md lists them (sysexits.h values).
public enum ExitCode: Int32, Sendable {
    case ok = 0
    /// Bad command line (EX_USAGE).
    case usage = 64
    /// A bad plan or cue pack (EX_DATAERR).
    case dataError = 65
    /// A file that is missing or cannot be read (EX_NOINPUT).
    case noInput = 66
    /// No usable audio device, or a voice that is missing (EX_UNAVAILABLE).
    case unavailable = 69
    /// A bug of ours (EX_SOFTWARE).
    case software = 70
    /// An output file that cannot be written (EX_CANTCREAT).
    case cantCreate = 73
}

/// An error a user sees: one line per problem, and the exit code it ends the program with.
public struct UpturnError: Error, CustomStringConvertible, Equatable, Sendable {
    public var code: ExitCode
    /// One problem per element, each a single line.
    public var problems: [String]
    /// Why an audio device went away mid-session (a pulled USB speaker, a restarted sound
    /// server): the player tries to reopen it rather than give up.
    public var lostDevice: DeviceLoss?
    /// The system error behind it, when a system call failed.
    public var errno: Errno?

    public var deviceLost: Bool { lostDevice != nil }

    public init(_ code: ExitCode, _ message: String) {
        self.code = code
        self.problems = [message]
    }

    public init(_ code: ExitCode, problems: [String]) {
        self.code = code
        self.problems = problems
    }

    public var description: String { problems.joined(separator: "\n") }

    public static func usage(_ message: String) -> UpturnError { UpturnError(.usage, message) }
    public static func data(_ message: String) -> UpturnError { UpturnError(.dataError, message) }
    public static func noInput(_ message: String) -> UpturnError { UpturnError(.noInput, message) }
    public static func unavailable(_ message: String) -> UpturnError { UpturnError(.unavailable, message) }
    public static func cantCreate(_ message: String) -> UpturnError { UpturnError(.cantCreate, message) }
    /// An audio device lost mid-session, and why.
    public static func lost(_ message: String, _ cause: DeviceLoss) -> UpturnError {
        var error = UpturnError(.unavailable, message)
        error.lostDevice = cause
        return error
    }
    /// A failed system call: the message, the system's words for it, and the errno kept.
    public static func system(_ code: ExitCode, _ message: String, _ errno: Errno) -> UpturnError {
        var error = UpturnError(code, "\(message): \(errno)")
        error.errno = errno
        return error
    }
    public static func internalError(_ message: String) -> UpturnError { UpturnError(.software, message) }
}

/// Why an audio device was given up on mid-session, so the log and the tests can tell a
/// pulled speaker from a device that only misbehaves.
public enum DeviceLoss: Equatable, Sendable, CustomStringConvertible {
    /// A PCM call failed with this code, and it cannot be recovered in place (-ENODEV: gone;
    /// a sound server that died answers with other codes).
    case failed(DeviceError)
    /// Recovery in place kept failing: underruns or suspends without end.
    case keepsFailing(DeviceError)
    /// The device hung up or reports the DISCONNECTED state.
    case disconnected
    /// It is closed: an earlier reopen failed.
    case closed

    public var description: String {
        switch self {
        case .failed(let error): return "failed: \(error)"
        case .keepsFailing(let error): return "keeps failing: \(error)"
        case .disconnected: return "disconnected"
        case .closed: return "closed"
        }
    }
}

/// An audio API's error code (a negative errno, as ALSA returns them) and its text: the
/// device loss's cause, named here so that Support needs no audio library (`ALSAError`
/// makes one).
public struct DeviceError: Equatable, Sendable, CustomStringConvertible {
    public var code: Int32
    /// The library's own words for it (`snd_strerror`), or the system's.
    public var text: String

    public init(code: Int32, text: String? = nil) {
        self.code = code
        self.text = text ?? String(cString: strerror(-code))
    }

    public var description: String { text }
    public static func == (a: DeviceError, b: DeviceError) -> Bool { a.code == b.code }

    /// Underrun: the device ran out of frames (-EPIPE).
    public static let underrun = DeviceError(code: -EPIPE)
    /// The device went away: a USB speaker pulled, a sound server gone (-ENODEV).
    public static let deviceLost = DeviceError(code: -ENODEV)
}
