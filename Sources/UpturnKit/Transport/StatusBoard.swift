import Synchronization

/// What `upturn ctl status` answers: the playing session's snapshot, or what `serve` is
/// waiting for. Read from the socket's thread and MPRIS's, as often as they like: a read
/// costs the same the millionth time and keeps nothing.
public final class StatusBoard: Sendable {
    private let source: LockedFunction<@Sendable () -> String>
    private let idle: Mutex<String>

    public init(idle: String = "{\"state\": \"starting\"}") {
        let text = idle
        self.idle = Mutex(idle)
        source = LockedFunction({ text })
    }

    public var json: String { source.current() }

    public func show(_ read: @escaping @Sendable () -> String) {
        source.replace(with: read)
    }

    /// Between sessions: the idle text.
    public func setIdle(_ text: String) {
        idle.withLock { $0 = text }
        showIdle()
    }

    public func showIdle() {
        let text = idle.withLock { $0 }
        source.replace(with: { text })
    }
}
