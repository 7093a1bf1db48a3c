import Synchronization

/// What the box is doing, as a value: encoded to JSON only at the edges (`ctl status`,
/// the companion page), read as values everywhere else (MPRIS, voice control).
public enum SessionStatus: Sendable, Equatable {
    /// `play` before its session is laid out.
    case starting
    /// `serve` between sessions.
    case waiting(ServeWaiting)
    case playing(PlayerSnapshot)

    /// The session's snapshot while one plays.
    public var playing: PlayerSnapshot? {
        if case .playing(let snapshot) = self { return snapshot }
        return nil
    }

    /// Whether the person is tilted now (a session plays a tilted step).
    public var isTilted: Bool { playing?.inverted ?? false }
}

/// What `serve` says of itself between sessions.
public struct ServeWaiting: Sendable, Equatable {
    public var audioReady: Bool
    /// The session last announced ("today's session is ..."), if any.
    public var announced: String?
    public var today: Today?
    /// With an angle sensor (`serve --angle`): the table's angle, rounded to a degree (nil:
    /// lost), and the alarm (tilted too long with no session).
    public var followsTable = false
    public var angle: Int?
    public var alarm = false
    public struct Today: Sendable, Equatable {
        public var program: String
        public var level: Int
        public var angle: Int
        public init(program: String, level: Int, angle: Int) {
            self.program = program
            self.level = level
            self.angle = angle
        }
    }
    public init(audioReady: Bool, announced: String? = nil, today: Today? = nil) {
        self.audioReady = audioReady
        self.announced = announced
        self.today = today
    }
}

/// What changed, for those who act on changes (MPRIS's PropertiesChanged, the page's push).
public enum StatusEvent: Sendable, Equatable {
    case started
    case stepChanged(Int)
    case paused
    case resumed
    case inverted(Bool)
    case checkIn(Bool)
    case audioLost(Bool)
    /// The session ended (finished or stopped): the board shows its idle status again.
    case ended
    /// `serve`'s waiting status changed (audio ready, today's session).
    case waitingChanged

    /// The events between two statuses. A moving position alone is none: readers take the
    /// value when they want it.
    static func between(_ old: SessionStatus, _ new: SessionStatus) -> [StatusEvent] {
        switch (old.playing, new.playing) {
        case (nil, nil): return old == new ? [] : [.waitingChanged]
        case (nil, .some(let now)): return [.started, .stepChanged(now.step)] + (now.paused ? [.paused] : []) + (now.inverted ? [.inverted(true)] : [])
        case (.some, nil): return [.ended]
        case (.some(let was), .some(let now)):
            var events: [StatusEvent] = []
            if was.step != now.step || was.title != now.title || was.steps != now.steps { events.append(.stepChanged(now.step)) }
            if was.paused != now.paused { events.append(now.paused ? .paused : .resumed) }
            if was.inverted != now.inverted { events.append(.inverted(now.inverted)) }
            if was.checkIn != now.checkIn { events.append(.checkIn(now.checkIn)) }
            if was.audioLost != now.audioLost { events.append(.audioLost(now.audioLost)) }
            return events
        }
    }
}

/// The box's status, pushed: the player publishes its snapshot as it plays (every quarter
/// second, and at once on a change), `serve` its waiting status; readers take the value
/// (`status`, or `json` for `ctl status`) as often as they like, and subscribers are woken
/// by a descriptor when something changed (no polling: MPRIS's thread sleeps until then).
public final class StatusBoard: Sendable {
    private struct State {
        var status: SessionStatus
        var idle: SessionStatus
        var subscribers: [Subscription] = []
    }
    private let state: Mutex<State>

    public init(idle: SessionStatus = .starting) {
        state = Mutex(State(status: idle, idle: idle))
    }

    public var status: SessionStatus { state.withLock { $0.status } }

    /// The status as `ctl status` answers it.
    public var json: String { status.json }

    /// The player's snapshot, now (from the audio thread: a lock, a comparison, and a byte
    /// written to each subscriber's pipe when something changed).
    public func publish(_ snapshot: PlayerSnapshot) { set(.playing(snapshot)) }

    /// Between sessions: the idle status, shown now.
    public func setIdle(_ status: SessionStatus) {
        state.withLock { $0.idle = status }
        showIdle()
    }

    /// A session ended: the idle status again.
    public func showIdle() {
        set(state.withLock { $0.idle })
    }

    private func set(_ new: SessionStatus) {
        let (events, subscribers) = state.withLock { state -> ([StatusEvent], [Subscription]) in
            let events = StatusEvent.between(state.status, new)
            state.status = new
            return (events, events.isEmpty ? [] : state.subscribers)
        }
        for subscriber in subscribers { subscriber.tell(events) }
    }

    /// Wakes `subscription` on every change from now on.
    public func subscribe() throws(UpturnError) -> Subscription {
        let subscription = try Subscription()
        state.withLock { $0.subscribers.append(subscription) }
        return subscription
    }

    /// `subscription` is told nothing more.
    public func unsubscribe(_ subscription: Subscription) {
        state.withLock { $0.subscribers.removeAll { $0 === subscription } }
    }

    /// One reader's changes: `fd` turns readable when there are events to `take()`.
    public final class Subscription: Sendable {
        private let doorbell: Doorbell
        private let events = Mutex<[StatusEvent]>([])

        fileprivate init() throws(UpturnError) {
            do throws(Errno) { doorbell = try Doorbell() } catch {
                throw UpturnError.system(.unavailable, "cannot make a pipe for the status", error)
            }
        }

        public var fd: Int32 { doorbell.fd }

        fileprivate func tell(_ new: [StatusEvent]) {
            events.withLock { $0 += new }
            doorbell.ring()
        }

        /// The events since the last call, oldest first.
        public func take() -> [StatusEvent] {
            doorbell.drain()
            return events.withLock { events in
                defer { events.removeAll() }
                return events
            }
        }
    }
}

extension SessionStatus {
    /// `ctl status`'s one-line JSON object.
    public var json: String {
        switch self {
        case .starting: return "{\"state\": \"starting\"}"
        case .playing(let snapshot): return snapshot.json
        case .waiting(let waiting):
            var fields = ["\"state\": \"waiting\"", "\"audio_ready\": \(waiting.audioReady)"]
            if let announced = waiting.announced { fields.append("\"announced\": \(JSONText.string(announced))") }
            if let today = waiting.today {
                fields.append(
                    "\"today\": {\"program\": \(JSONText.string(today.program)), \"level\": \(today.level), \"angle\": \(today.angle)}")
            }
            if waiting.followsTable {
                fields.append("\"angle\": \(waiting.angle.map(String.init) ?? "null")")
                fields.append("\"alarm\": \(waiting.alarm)")
            }
            return "{" + fields.joined(separator: ", ") + "}"
        }
    }
}
