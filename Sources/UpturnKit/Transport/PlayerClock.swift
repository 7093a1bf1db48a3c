/// The time a player lives by: what it waits on between blocks and what the inverted-time
/// cap, the check-ins, "back twice" and a lost device's retries count in. The system's
/// monotonic clock in a session; in tests a simulated one that moves on by the frames
/// written and the waits asked for, so a two-minute cap is tested in microseconds.
public protocol PlayerClock: AnyObject {
    /// Seconds, from any fixed start.
    var now: Double { get }
    /// Waits up to `milliseconds` for one of `fds` (-1 is none) to turn readable.
    func wait(for fds: [Int32], milliseconds: Int32)
    /// The sink took `frames` at `rate` (a simulated clock moves on by their length).
    func wrote(_ frames: Int, rate: Int)
}

/// The real clock: `MonotonicClock`, and `poll(2)` to wait.
public final class SystemPlayerClock: PlayerClock {
    public init() {}
    public var now: Double { MonotonicClock.now }
    public func wait(for fds: [Int32], milliseconds: Int32) {
        _ = SystemCall.waitReadable(any: fds, milliseconds: milliseconds)
    }
    public func wrote(_ frames: Int, rate: Int) {}
}
