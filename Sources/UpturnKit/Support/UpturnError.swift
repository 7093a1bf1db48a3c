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
    /// Set when an audio device went away mid-session (a pulled USB speaker, a restarted
    /// sound server): the player tries to reopen it rather than give up.
    public var deviceLost = false

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
    public static func lost(_ message: String) -> UpturnError {
        var error = UpturnError(.unavailable, message)
        error.deviceLost = true
        return error
    }
    public static func internalError(_ message: String) -> UpturnError { UpturnError(.software, message) }
}
