import Foundation
import Synchronization

/// Signals as controls. A handler may only touch atomics and write(2), so each signal bumps
/// a counter and writes a byte to the control queue's pipe; the player reads the counters.
///   SIGINT, SIGTERM, SIGHUP: stop (a second one during the closing ends at once); SIGHUP
///   is the terminal or SSH session gone, and someone may still be inverted
///   SIGPIPE: ignored, so a closed stdout or stderr never ends a session
///   SIGUSR1: toggle pause · SIGUSR2: skip
public enum Signals {
    static let stops = Atomic<Int>(0)
    static let toggles = Atomic<Int>(0)
    static let skips = Atomic<Int>(0)
    static let wakeFD = Atomic<Int32>(-1)

    /// Routes the signals to counters, without SA_RESTART so a waiting poll wakes up.
    /// `wake` is written to as well (a ControlQueue's pipe), if given.
    public static func install(wake queue: ControlQueue? = nil) {
        if let queue { wakeFD.store(queue.postDescriptor, ordering: .relaxed) }
        let table: [(Int32, @convention(c) (Int32) -> Void)] = [
            (SIGINT, { _ in Signals.bump(Signals.stops) }),
            (SIGTERM, { _ in Signals.bump(Signals.stops) }),
            (SIGHUP, { _ in Signals.bump(Signals.stops) }),
            (SIGUSR1, { _ in Signals.bump(Signals.toggles) }),
            (SIGUSR2, { _ in Signals.bump(Signals.skips) }),
        ]
        for (signal, handler) in table { SystemCall.handle(signal, with: handler) }
        SystemCall.ignore(SIGPIPE)
    }

    private static func bump(_ counter: borrowing Atomic<Int>) {
        counter.add(1, ordering: .relaxed)
        let fd = wakeFD.load(ordering: .relaxed)
        if fd >= 0 { SystemCall.poke(fd) }
    }

    /// Every signal counted so far.
    public static var total: Int {
        stops.load(ordering: .relaxed) + toggles.load(ordering: .relaxed) + skips.load(ordering: .relaxed)
    }

    /// The counts so far: (stop, toggle, skip).
    public static var counts: (stop: Int, toggle: Int, skip: Int) {
        (stops.load(ordering: .relaxed), toggles.load(ordering: .relaxed), skips.load(ordering: .relaxed))
    }
}
