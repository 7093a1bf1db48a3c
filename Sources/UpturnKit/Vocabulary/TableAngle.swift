/// The table's measured angle, for whoever follows it (the transport, the service, the
/// page). Degrees in the plans' convention: 0 is level, 90 hanging straight down, negative
/// toward standing (-90 standing upright); `time` is `MonotonicClock`'s.
public struct AngleSample: Sendable, Equatable {
    public var degrees: Double
    public var time: Double

    public init(degrees: Double, time: Double) {
        self.degrees = degrees
        self.time = time
    }
}

/// Where the transport reads the table's angle: a sensor on its own thread, or a simulated
/// table in the tests (as the player's time comes from a `PlayerClock`).
public protocol TableAngle: AnyObject, Sendable {
    /// The angle now; nil while the sensor is lost (or has given nothing yet).
    var current: AngleSample? { get }
}

/// The thresholds every follower of the table uses, in one place.
public enum AngleRules {
    /// The table counts as upright under this (issue 22: "upright (under 10°)").
    public static let upright = 10.0
    /// Time above this is inverted time.
    public static let inverted = 15.0
    /// A tilt is reached within this of its angle, held for `reachedSeconds`.
    public static let reachedWithin = 3.0
    public static let reachedSeconds = 1.0
    /// Past the plan's angle by this much: "Come up a little" (at most every 15 s).
    public static let overshoot = 10.0
    public static let overshootEverySeconds = 15.0
    /// A tilt not reached within its settle time and this much more goes on anyway.
    public static let tiltGraceSeconds = 20.0
    /// After the closing cue, still tilted this long: the alarm, and again as long as it lasts.
    public static let alarmEverySeconds = 30.0
    /// The highest angle counts when held this long.
    public static let highestHeldSeconds = 5.0
}
