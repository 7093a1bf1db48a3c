import CSDBus
import Foundation
import Synchronization

/// MPRIS2 on the D-Bus session bus: desktop media keys, GNOME and KDE media widgets,
/// KDE Connect on a phone, `playerctl`, and Bluetooth headphones through BlueZ's
/// `mpris-proxy` all control Upturn the way they control any Linux media player.
///
/// The bus name is `org.mpris.MediaPlayer2.upturn` (`...upturn.instancePID` when another
/// player has it). PlayPause, Play, Pause, Next, Previous and Stop post the transport's
/// commands (Stop as every stop: the closing cue when inverted); the status comes from the
/// player's snapshot, and PropertiesChanged is sent when it changes. The bus is served on
/// a thread of its own through sd-bus; a bus that goes away never stops the session.
public final class MPRISControl: ControlSource, @unchecked Sendable {
    // @unchecked: the fields are set by start() before the bus thread starts; from then on
    // only that thread touches them, and stop() only wakes it (WakePipe is Sendable).
    static let path = "/org/mpris/MediaPlayer2"
    static let rootInterface = "org.mpris.MediaPlayer2"
    static let playerInterface = "org.mpris.MediaPlayer2.Player"
    public private(set) var busName = ""
    /// The status, pushed: the bus thread wakes when it changes.
    private let board: StatusBoard
    private var subscription: StatusBoard.Subscription?
    private let report: (@Sendable (String) -> Void)?
    private var bus: OpaquePointer?
    private var queue: ControlQueue?
    private var wake: WakePipe?
    private var thread: Thread?
    /// The status last told to the bus, to send PropertiesChanged on a change.
    private var told: MPRISStatus?

    public init(board: StatusBoard, report: (@Sendable (String) -> Void)? = nil) {
        self.board = board
        self.report = report
    }

    /// True when a session bus is there to offer MPRIS on (`play` turns it on by default).
    public static var sessionBusExists: Bool {
        ProcessInfo.processInfo.environment["DBUS_SESSION_BUS_ADDRESS"].map { !$0.isEmpty } ?? false
    }

    /// How long a call to the bus may take (sd-bus's default is 25 s, and authenticating
    /// with a frozen bus took 90 s).
    static let callTimeoutMicroseconds: UInt64 = 2_000_000

    /// Connects on a thread of its own: the session never waits for the bus (issue 18: a
    /// frozen dbus-daemon held `play` 90 s in silence). A bus that cannot be reached, or
    /// refuses the object or the name, is one line on stderr: the session goes on without it.
    public func start(_ queue: ControlQueue) throws(UpturnError) {
        let wake = try WakePipe()
        let subscription = try board.subscribe()
        self.wake = wake
        self.subscription = subscription
        self.queue = queue
        let thread = Thread(named: "upturn-mpris") { [self] in
            do throws(UpturnError) { try connect() } catch {
                report?(error.problems.first ?? "mpris: not available")
                wake.closeReadEnd()
                return
            }
            guard !wake.isWoken else { return wake.closeReadEnd() }
            serve(wake)
        }
        self.thread = thread
        thread.start()
    }

    private func connect() throws(UpturnError) {
        var opened: OpaquePointer?
        let code = sd_bus_open_user(&opened)
        guard code >= 0, let opened else {
            throw UpturnError.system(.unavailable, "mpris: no D-Bus session bus; going on without it", Errno(rawValue: -code))
        }
        sd_bus_set_method_call_timeout(opened, Self.callTimeoutMicroseconds)
        bus = opened
        let me = Unmanaged.passUnretained(self).toOpaque()
        guard sd_bus_add_object_vtable(opened, nil, Self.path, Self.rootInterface, upturn_mpris_root_vtable(), me) >= 0,
            sd_bus_add_object_vtable(opened, nil, Self.path, Self.playerInterface, upturn_mpris_player_vtable(), me) >= 0
        else {
            sd_bus_flush_close_unref(opened)
            bus = nil
            throw UpturnError.unavailable("mpris: cannot offer the MPRIS object on the session bus")
        }
        // The usual name, or one of this process's own when another player holds it.
        busName = "org.mpris.MediaPlayer2.upturn"
        var named = sd_bus_request_name(opened, busName, 0)
        if named < 0 {
            busName = "org.mpris.MediaPlayer2.upturn.instance\(getpid())"
            named = sd_bus_request_name(opened, busName, 0)
        }
        guard named >= 0 else {
            sd_bus_flush_close_unref(opened)
            bus = nil
            let why = named == -ETIMEDOUT ? "did not answer" : "refused the name \(busName)"
            throw UpturnError.system(.unavailable, "mpris: the session bus \(why); going on without it", Errno(rawValue: -named))
        }
    }

    /// Handles calls as they come, and tells the bus of a changed status when the board
    /// says it changed: the thread sleeps until the bus, the board or `stop()` wakes it
    /// (it looked four times a second before, and idle CPU in a silent hold went 0.12% ->
    /// 0.37%).
    private func serve(_ wake: WakePipe) {
        defer {
            wake.closeReadEnd()
            if let bus { sd_bus_flush_close_unref(bus) }
            bus = nil
            if let subscription { board.unsubscribe(subscription) }
        }
        while !wake.isWoken, let bus {
            while sd_bus_process(bus, nil) > 0 {}
            _ = subscription?.take()
            announceChanges()
            var fds = [
                pollfd(fd: sd_bus_get_fd(bus), events: Int16(sd_bus_get_events(bus)), revents: 0), wake.pollEntry,
                pollfd(fd: subscription?.fd ?? -1, events: Int16(POLLIN), revents: 0),
            ]
            // sd-bus's own deadline (a call's timeout), if it has one.
            var usec: UInt64 = 0
            let timeout: Int32 = sd_bus_get_timeout(bus, &usec) > 0 && usec != UInt64.max
                ? Int32(clamping: max(0, (Int64(clamping: usec) - Int64(MonotonicClock.now * 1_000_000)) / 1000 + 1)) : -1
            guard fds[0].fd >= 0, (try? SystemCall.poll(&fds, milliseconds: timeout)) != nil else { break }
            if fds[0].revents & Int16(POLLHUP | POLLERR) != 0 {
                report?("mpris: the session bus went away; going on without it")
                break
            }
        }
    }

    public func stop() {
        wake?.wake()
    }

    var current: MPRISStatus { MPRISStatus(board.status) }

    private func announceChanges() {
        guard let bus else { return }
        let now = current
        defer { told = now }
        guard let told, told != now else { return }
        let changed: [String] = ["PlaybackStatus", "Metadata", "CanGoNext", "CanGoPrevious", "CanPlay", "CanPause"]
        var names: [UnsafeMutablePointer<CChar>?] = changed.map { strdup($0) }
        names.append(nil)
        defer { names.forEach { free($0) } }
        _ = names.withUnsafeMutableBufferPointer {
            sd_bus_emit_properties_changed_strv(bus, Self.path, Self.playerInterface, $0.baseAddress)
        }
    }

    /// A method call: the transport's command, or an error reply the caller can read.
    fileprivate func call(_ member: String, _ message: OpaquePointer?, _ error: UnsafeMutablePointer<sd_bus_error>?) -> Int32 {
        let commands: [String: ControlCommand] = [
            "PlayPause": .toggle, "Play": .resume, "Pause": .pause, "Next": .skip, "Previous": .back, "Stop": .stop,
        ]
        if let command = commands[member] {
            queue?.post(command)
        } else if member == "OpenUri" || member == "Quit" || member == "Raise" || member == "Seek" || member == "SetPosition" {
            // Nothing to open, quit, raise or seek in a guided session: CanSeek and the like
            // say so; the spec wants a quiet no-op for Seek, an error for OpenUri.
            if member == "OpenUri" {
                return sd_bus_error_set(error, "org.freedesktop.DBus.Error.NotSupported", "Upturn plays its own sessions")
            }
        }
        return upturn_bus_reply_empty(message)
    }

    /// A property's value, appended to the reply.
    fileprivate func property(_ name: String, _ reply: OpaquePointer?) -> Int32 {
        let now = current
        switch name {
        case "CanQuit", "CanRaise", "HasTrackList", "CanSeek": return append(reply, false)
        case "CanControl": return append(reply, true)
        case "Identity": return append(reply, "Upturn")
        case "SupportedUriSchemes", "SupportedMimeTypes":
            guard sd_bus_message_open_container(reply, Int8(UInt8(ascii: "a")), "s") >= 0 else { return -EINVAL }
            return sd_bus_message_close_container(reply)
        case "PlaybackStatus": return append(reply, now.playbackStatus)
        case "Rate", "MinimumRate", "MaximumRate", "Volume": return append(reply, 1.0)
        case "Position": return append(reply, now.positionMicroseconds)
        case "CanGoNext", "CanGoPrevious", "CanPause": return append(reply, now.playing)
        case "CanPlay": return append(reply, now.playing)
        case "Metadata": return metadata(reply, now)
        default: return -ENOENT
        }
    }

    private func metadata(_ reply: OpaquePointer?, _ now: MPRISStatus) -> Int32 {
        guard sd_bus_message_open_container(reply, Int8(UInt8(ascii: "a")), "{sv}") >= 0 else { return -EINVAL }
        func entry(_ key: String, _ signature: String, _ value: (OpaquePointer?) -> Int32) -> Bool {
            sd_bus_message_open_container(reply, Int8(UInt8(ascii: "e")), "sv") >= 0 && append(reply, key) >= 0
                && sd_bus_message_open_container(reply, Int8(UInt8(ascii: "v")), signature) >= 0 && value(reply) >= 0
                && sd_bus_message_close_container(reply) >= 0 && sd_bus_message_close_container(reply) >= 0
        }
        if now.playing {
            let track = "/org/upturn/session/step/\(now.step)"
            let ok = entry("mpris:trackid", "o") { message in
                track.withCString { sd_bus_message_append_basic(message, Int8(UInt8(ascii: "o")), $0) }
            }
                && entry("xesam:title", "s") { self.append($0, now.title) }
                && entry("xesam:album", "s") { self.append($0, now.session) }
                && entry("mpris:length", "x") { self.append($0, now.lengthMicroseconds) }
            guard ok else { return -EINVAL }
        }
        return sd_bus_message_close_container(reply)
    }

    private func append(_ reply: OpaquePointer?, _ value: Bool) -> Int32 {
        var flag: Int32 = value ? 1 : 0
        return sd_bus_message_append_basic(reply, Int8(UInt8(ascii: "b")), &flag)
    }

    private func append(_ reply: OpaquePointer?, _ value: String) -> Int32 {
        value.withCString { sd_bus_message_append_basic(reply, Int8(UInt8(ascii: "s")), $0) }
    }

    private func append(_ reply: OpaquePointer?, _ value: Double) -> Int32 {
        var number = value
        return sd_bus_message_append_basic(reply, Int8(UInt8(ascii: "d")), &number)
    }

    private func append(_ reply: OpaquePointer?, _ value: Int64) -> Int32 {
        var number = value
        return sd_bus_message_append_basic(reply, Int8(UInt8(ascii: "x")), &number)
    }
}

/// What MPRIS shows of the player, read from its status.
struct MPRISStatus: Equatable {
    var playing = false
    var paused = false
    var step = 0
    var title = ""
    var session = ""
    var stepLength = 0.0
    var stepLeft = 0.0

    init(_ status: SessionStatus) {
        // Until the player has laid out its steps (the session still being made), Stopped with
        // no metadata: a widget showed "Playing" with an empty title and length for the first
        // seconds. The welcome (step 0) is part of the session and plays as such.
        guard let snapshot = status.playing, snapshot.steps >= 1, !snapshot.title.isEmpty else { return }
        playing = true
        paused = snapshot.paused
        step = snapshot.step
        title = snapshot.title
        session = snapshot.session
        stepLength = snapshot.stepLength
        stepLeft = snapshot.stepLeft
    }

    var playbackStatus: String { playing ? (paused ? "Paused" : "Playing") : "Stopped" }
    var positionMicroseconds: Int64 { Int64(max(0, stepLength - stepLeft) * 1_000_000) }
    var lengthMicroseconds: Int64 { Int64(max(0, stepLength) * 1_000_000) }

    static func == (a: MPRISStatus, b: MPRISStatus) -> Bool {
        // Position moves all the time; MPRIS clients follow it themselves (no signal for it).
        (a.playing, a.paused, a.step, a.title, a.session) == (b.playing, b.paused, b.step, b.title, b.session)
    }
}

@_cdecl("upturn_mpris_method")
func upturnMPRISMethod(_ message: OpaquePointer?, _ userdata: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<sd_bus_error>?) -> Int32 {
    guard let userdata, let member = sd_bus_message_get_member(message) else { return -EINVAL }
    return Unmanaged<MPRISControl>.fromOpaque(userdata).takeUnretainedValue().call(String(cString: member), message, error)
}

@_cdecl("upturn_mpris_property")
func upturnMPRISProperty(
    _ bus: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ interface: UnsafePointer<CChar>?, _ property: UnsafePointer<CChar>?,
    _ reply: OpaquePointer?, _ userdata: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<sd_bus_error>?
) -> Int32 {
    guard let userdata, let property else { return -EINVAL }
    return Unmanaged<MPRISControl>.fromOpaque(userdata).takeUnretainedValue().property(String(cString: property), reply)
}
