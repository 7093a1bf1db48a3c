/// Something that turns a person's input into control commands: a keyboard, a foot pedal,
/// a GPIO button, the control socket. Each runs on a thread of its own and posts to the queue.
public protocol ControlSource: AnyObject {
    /// Starts reading; throws a one-line error (with its exit code) when the source is unusable.
    func start(_ queue: ControlQueue) throws(UpturnError)
    /// Stops reading and gives back what it holds (a terminal mode, a socket file, a line).
    func stop()
}

/// What a control source that can start a session calls (`serve`: the socket's `start
/// [PLAN]`, "upturn start"): the plan asked for (nil: today's), and the reply to give. A
/// source is given one when it is made (`ControlSpec.source`), so a new source that starts
/// sessions (the companion page) needs no change in the service.
public typealias SessionStarter = @Sendable (_ plan: String?) -> String

/// Tells a short press from a long one, for one-button control: a press shorter than
/// `longPress` is a toggle (or the button's command); holding it that long is `stop`,
/// at once, without waiting for the release.
public struct PressInterpreter: Sendable {
    public var longPress: Double
    private var pressedAt: [Int: Double] = [:]
    private var longFired: Set<Int> = []

    public init(longPress: Double = 1.5) {
        self.longPress = longPress
    }

    /// A button went down or up at `time` (seconds); `command` is what a short press means.
    /// `longCommand` is what holding it means (nil: nothing).
    public mutating func button(
        _ id: Int, pressed: Bool, at time: Double, command: ControlCommand, longCommand: ControlCommand?
    ) -> [ControlCommand] {
        if pressed {
            if pressedAt[id] == nil { pressedAt[id] = time }
            return []
        }
        guard let start = pressedAt.removeValue(forKey: id) else { return [] }
        if longFired.remove(id) != nil { return [] }
        if longCommand != nil && time - start >= longPress { return [longCommand!] }
        return [command]
    }

    /// Called as time passes: a button held past `longPress` fires its long command now.
    public mutating func tick(at time: Double, longCommand: (Int) -> ControlCommand?) -> [ControlCommand] {
        var out: [ControlCommand] = []
        for (id, start) in pressedAt where !longFired.contains(id) && time - start >= longPress {
            if let command = longCommand(id) {
                longFired.insert(id)
                out.append(command)
            }
        }
        return out
    }

    /// Seconds until the next long press could fire, for a poll timeout; nil when none is held.
    public func nextDeadline(from time: Double) -> Double? {
        pressedAt.filter { !longFired.contains($0.key) }.values.map { max(0, $0 + longPress - time) }.min()
    }
}
