import Foundation

/// How the sensor sits on the table, from two poses: the table upright (standing) and
/// level. The two readings give the axis the table turns about and the zero, whatever way
/// the board is mounted; the angle of any reading is then its turn about that axis from
/// level: -90 standing, 0 level, 90 hanging straight down (the plans' degrees). A sideways
/// tilt (about another axis) is left out.
public struct AngleCalibration: Sendable, Equatable {
    /// Unit vectors: what the sensor felt standing upright, and level.
    public var upright: Vector3
    public var level: Vector3
    /// The device it was made with (its `name`), and when.
    public var device: String
    public var made: String

    /// Without a calibration: the board flat on the table's bed, its x axis toward the
    /// head, its z axis out of the bed (an accelerometer at rest feels "up").
    public static let assumed = AngleCalibration(upright: Vector3(1, 0, 0), level: Vector3(0, 0, 1), device: "", made: "")
    /// What is said when the assumed mounting is used.
    public static let assumedNote = "not calibrated (upturn angle calibrate); the board is taken to lie flat on the bed, x toward the head"

    public init(upright: Vector3, level: Vector3, device: String, made: String) {
        self.upright = upright.unit
        self.level = level.unit
        self.device = device
        self.made = made
    }

    /// From the two poses' readings; refused when they are too alike to give an axis.
    public static func from(upright: Vector3, level: Vector3, device: String, made: String) throws(UpturnError) -> AngleCalibration {
        guard upright.length > 0, level.length > 0 else { throw UpturnError.data("angle calibrate: the sensor read nothing") }
        let between = acos(max(-1, min(1, upright.unit.dot(level.unit)))) * 180 / .pi
        guard between >= 45 else {
            throw UpturnError.data(
                String(format: "angle calibrate: the two poses are only %.0f° apart; tilt until you lie level before the second press", between))
        }
        return AngleCalibration(upright: upright, level: level, device: device, made: made)
    }

    /// The axis the table turns about (upright × level, normalized).
    var axis: Vector3 { upright.cross(level).unit }

    /// A reading's angle, in the plans' degrees.
    public func degrees(_ reading: Vector3) -> Double {
        let n = axis
        return atan2(level.cross(reading).dot(n), level.dot(reading)) * 180 / .pi
    }

    // MARK: Kept in the user's config

    public static var file: String { XDGFolders.configHome + "/upturn/angle.json5" }

    /// The calibration kept, nil when there is none; a file that does not read is 65 with
    /// its place.
    public static func load(file: String = AngleCalibration.file) throws(UpturnError) -> AngleCalibration? {
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        let bytes = try FileBytes.read(file, limit: 64 * 1024, what: "angle calibration")
        var problems = Problems(file: file)
        var found: AngleCalibration?
        do {
            let root = try JSON5Parser.parse(bytes)
            if let object = ObjectReader(root, path: "", problems: &problems) {
                object.rejectUnknownKeys(["upright", "level", "device", "made"], problems: &problems, what: "angle calibration")
                func vector(_ key: String) -> Vector3? {
                    guard let node = object[key] else {
                        problems.add("missing '\(key)' (run upturn angle calibrate)", at: root.location, path: key)
                        return nil
                    }
                    guard case .array(let items) = node.value, items.count == 3 else {
                        problems.add("expected [x, y, z]", at: node.location, path: key)
                        return nil
                    }
                    let numbers = items.compactMap { item -> Double? in if case .number(let n) = item.value { return n } else { return nil } }
                    guard numbers.count == 3, Vector3(numbers[0], numbers[1], numbers[2]).length > 0.1 else {
                        problems.add("expected [x, y, z], three numbers not all 0", at: node.location, path: key)
                        return nil
                    }
                    return Vector3(numbers[0], numbers[1], numbers[2])
                }
                let upright = vector("upright"), level = vector("level")
                let device = object.string("device", problems: &problems, allowEmpty: true) ?? ""
                let made = object.string("made", problems: &problems, allowEmpty: true) ?? ""
                if let upright, let level {
                    do throws(UpturnError) { found = try from(upright: upright, level: level, device: device, made: made) } catch {
                        problems.add(error.problems.first ?? "the poses do not give an axis", at: root.location, path: "level")
                    }
                }
            }
        } catch {
            problems.add(syntax: error)
        }
        try problems.throwIfAny()
        return found
    }

    public func save(file: String = AngleCalibration.file) throws(UpturnError) {
        func list(_ v: Vector3) -> String { String(format: "[%.5f, %.5f, %.5f]", v.x, v.y, v.z) }
        let text = """
            // Made by `upturn angle calibrate`: what the sensor felt with the table upright and
            // level (unit vectors). Run it again after moving the sensor.
            {
              device: \(JSONText.string(device)),
              made: \(JSONText.string(made)),
              upright: \(list(upright)),
              level: \(list(level)),
            }

            """
        do {
            try FileManager.default.createDirectory(atPath: PathText.parent(file), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw UpturnError.cantCreate("\(file): cannot write the angle calibration")
        }
    }
}

/// Smooths the readings of a person moving on the table, and does not flap: a low-pass
/// filter on the direction of the force felt (a time constant of 0.15 s: 1.5° behind a table
/// turning 10° a second), then the angle moves only when it has moved by more than 0.4°.
public struct AngleFilter: Sendable {
    public static let timeConstant = 0.15
    public static let hysteresis = 0.4
    private var smoothed: Vector3?
    private var lastTime: Double?
    public private(set) var degrees: Double?

    public init() {}

    /// A reading at `time` (seconds); the angle now.
    public mutating func feed(_ reading: Vector3, at time: Double, calibration: AngleCalibration) -> Double {
        let unit = reading.unit
        if let s = smoothed, let last = lastTime {
            let dt = max(0, min(1, time - last))
            let alpha = dt / (Self.timeConstant + dt)
            smoothed = s * (1 - alpha) + unit * alpha
        } else {
            smoothed = unit
        }
        lastTime = time
        let angle = calibration.degrees(smoothed!)
        if let shown = degrees, abs(angle - shown) <= Self.hysteresis { return shown }
        degrees = angle
        return angle
    }

    /// After a gap (the sensor lost), start again from the next reading.
    public mutating func reset() {
        smoothed = nil
        lastTime = nil
        degrees = nil
    }
}
