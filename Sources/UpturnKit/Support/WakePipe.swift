import Foundation
import Synchronization

/// A pipe an input thread polls beside its input, so it can sleep with no timeout until
/// there is input or it is told to end. `wake()` closes the write end (from any thread,
/// once); the read end then polls readable for good. The thread closes the read end when
/// it ends, so no descriptor is ever closed under a `poll` of another thread.
public final class WakePipe: Sendable {
    public let readFD: Int32
    private let writeFD: Atomic<Int32>

    public init() throws(UpturnError) {
        let ends: (read: Int32, write: Int32)
        do throws(Errno) { ends = try SystemCall.pipe(nonBlocking: false) } catch {
            throw UpturnError.system(.unavailable, "cannot make a pipe", error)
        }
        readFD = ends.read
        writeFD = Atomic(ends.write)
    }

    /// Wakes the poller for good. Safe to call more than once, from any thread.
    public func wake() {
        let fd = writeFD.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 { SystemCall.close(fd) }
    }

    /// True once `wake()` was called.
    public var isWoken: Bool { writeFD.load(ordering: .acquiring) < 0 }

    /// A pollfd entry for the read end.
    public var pollEntry: pollfd { pollfd(fd: readFD, events: Int16(POLLIN), revents: 0) }

    /// Called by the polling thread as it ends.
    public func closeReadEnd() {
        SystemCall.close(readFD)
    }
}
