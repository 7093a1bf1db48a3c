/// A non-blocking pipe one thread rings and another polls: `fd` turns readable after
/// `ring()` and stays so until `drain()`. Many rings before a drain are one wake-up. (The
/// clip loader's "a clip is ready", a status subscriber's "something changed".)
public final class Doorbell: Sendable {
    private let ends: (read: Int32, write: Int32)

    public init() throws(Errno) {
        ends = try SystemCall.pipe(nonBlocking: true)
    }

    deinit {
        SystemCall.close(ends.read)
        SystemCall.close(ends.write)
    }

    /// The end to poll for reading.
    public var fd: Int32 { ends.read }

    public func ring() { SystemCall.poke(ends.write) }

    public func drain() { SystemCall.drain(ends.read) }
}
