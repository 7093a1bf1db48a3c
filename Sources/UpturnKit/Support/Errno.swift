import Glibc

/// A system error number, as a value: what failed is kept (not only its text), so code can
/// tell a gone device from a full pipe. In the manner of swift-system's `Errno`.
public struct Errno: RawRepresentable, Error, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's `errno`, as the last failed call left it.
    static var current: Errno { Errno(rawValue: errno) }

    /// A signal interrupted the call (EINTR).
    public static let interrupted = Errno(rawValue: EINTR)
    /// Nothing to read or no room to write now (EAGAIN).
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    /// The reader of a pipe or socket has gone (EPIPE).
    public static let brokenPipe = Errno(rawValue: EPIPE)
    /// The device was unplugged (ENODEV).
    public static let noSuchDevice = Errno(rawValue: ENODEV)
    /// No such file or folder (ENOENT).
    public static let noSuchFile = Errno(rawValue: ENOENT)
    /// Permission denied (EACCES).
    public static let permissionDenied = Errno(rawValue: EACCES)
    /// A path's folder is a file (ENOTDIR).
    public static let notDirectory = Errno(rawValue: ENOTDIR)
    /// It exists already (EEXIST).
    public static let fileExists = Errno(rawValue: EEXIST)
    /// Nobody listens on the socket (ECONNREFUSED).
    public static let connectionRefused = Errno(rawValue: ECONNREFUSED)

    /// The system's words for it ("No such device"). The corresponding C function is `strerror`.
    public var description: String { String(cString: strerror(rawValue)) }
}
