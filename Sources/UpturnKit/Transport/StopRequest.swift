import Foundation
import Synchronization

/// Counts requests to stop: SIGINT and SIGTERM from the signal handler, or a caller.
/// An atomic counter is all a signal handler may touch.
public enum StopRequest {
    static let count = Atomic<Int>(0)

    public static var pending: Int { count.load(ordering: .relaxed) }

    public static func request() { count.add(1, ordering: .relaxed) }

    public static func reset() { count.store(0, ordering: .relaxed) }

    /// Routes SIGINT and SIGTERM to `request()`, without SA_RESTART so a blocking write wakes up.
    public static func installSignalHandlers() {
        for signal in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in StopRequest.count.add(1, ordering: .relaxed) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, nil)
        }
    }
}
