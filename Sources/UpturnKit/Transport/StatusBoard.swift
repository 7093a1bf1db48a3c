import Synchronization

/// What `upturn ctl status` answers: the playing session's snapshot, or what `serve` is
/// waiting for. Read from the socket's thread.
public final class StatusBoard: Sendable {
    private let source: Mutex<@Sendable () -> String>
    private let idle: Mutex<String>

    public init(idle: String = "{\"state\": \"starting\"}") {
        let text = idle
        self.idle = Mutex(idle)
        source = Mutex({ text })
    }

    public var json: String {
        let read = source.withLock { $0 }
        return read()
    }

    public func show(_ read: @escaping @Sendable () -> String) {
        source.withLock { $0 = read }
    }

    /// Between sessions: the idle text.
    public func setIdle(_ text: String) {
        idle.withLock { $0 = text }
        showIdle()
    }

    public func showIdle() {
        let text = idle.withLock { $0 }
        source.withLock { $0 = { text } }
    }
}
