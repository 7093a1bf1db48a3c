import Foundation
import XCTest

@testable import UpturnKit

/// A fake IIO tree, written at once (the simulated table over time is Tests/sensors/table.py).
struct FakeIIO {
    let root: String
    var device: String { root + "/iio:device0" }
    let scale = 0.000598

    init(_ root: String, name: String = "mpu6050", mount: String? = nil) {
        self.root = root
        try? FileManager.default.createDirectory(atPath: root + "/iio:device0", withIntermediateDirectories: true)
        put("name", name)
        put("in_accel_scale", String(format: "%.6f", scale))
        if let mount { put("in_accel_mount_matrix", mount) }
    }

    func put(_ file: String, _ text: String) {
        FileManager.default.createFile(atPath: device + "/" + file, contents: Data((text + "\n").utf8))
    }

    /// The table at `degrees` (the plans' convention), the board's axes given by `axes` from
    /// the table's (x toward the head, z out of the bed), in g units times `g`.
    func set(_ degrees: Double, g: Double = 1, axes: (Vector3) -> Vector3 = { $0 }, noise: (Double, Double, Double) = (0, 0, 0)) {
        let r = degrees * .pi / 180
        let felt = axes(Vector3(-sin(r) * g, 0, cos(r) * g))
        put("in_accel_x_raw", "\(Int(((felt.x + noise.0) * 9.80665 / scale).rounded()))")
        put("in_accel_y_raw", "\(Int(((felt.y + noise.1) * 9.80665 / scale).rounded()))")
        put("in_accel_z_raw", "\(Int(((felt.z + noise.2) * 9.80665 / scale).rounded()))")
    }
}

final class AngleTests: XCTestCase {
    /// On the side rail, turned: the board's x is the table's z, its y the table's x.
    static let rail: @Sendable (Vector3) -> Vector3 = { Vector3($0.z, $0.x, -$0.y) }

    func testTheAccelerometerIsFoundByNameOrPathAndSaysWhatThereIsWhenNot() throws {
        let root = temporaryFolder()
        let fake = FakeIIO(root + "/sys")
        fake.set(30)
        XCTAssertEqual(try IIOAccelerometer.find("iio", root: fake.root).name, "mpu6050")
        XCTAssertEqual(try IIOAccelerometer.find("iio:mpu6050", root: fake.root).folder, fake.device)
        XCTAssertEqual(try IIOAccelerometer.find("iio:" + fake.root).folder, fake.device, "a tree given by path")
        XCTAssertEqual(try IIOAccelerometer.find("iio:" + fake.device).folder, fake.device, "a device given by path")
        XCTAssertThrowsError(try IIOAccelerometer.find("iio:adxl345", root: fake.root)) { error in
            XCTAssertEqual((error as? UpturnError)?.code, .noInput)
            XCTAssertTrue("\(error)".contains("no IIO accelerometer named 'adxl345'; there are: mpu6050"), "\(error)")
        }
        XCTAssertThrowsError(try IIOAccelerometer.find("iio", root: root + "/empty")) { error in
            XCTAssertTrue("\(error)".contains("is its overlay on (dtoverlay=mpu6050)?"), "\(error)")
        }
        XCTAssertThrowsError(try IIOAccelerometer.find("usb", root: fake.root)) { error in
            XCTAssertEqual((error as? UpturnError)?.code, .usage)
        }
        // Garbage in a file, and a device gone.
        let device = try IIOAccelerometer.find("iio", root: fake.root)
        fake.put("in_accel_y_raw", "12abc")
        guard case .failure(.garbage(let why)) = device.read() else { return XCTFail("garbage read as a number") }
        XCTAssertTrue(why.hasSuffix("in_accel_y_raw: not a reading: '12abc'"), why)
        try FileManager.default.removeItem(atPath: fake.device)
        guard case .failure(.lost) = device.read() else { return XCTFail("a device gone was read") }
        // A scale that is not a number is the file and its place.
        let other = FakeIIO(root + "/other")
        other.put("in_accel_scale", "fast")
        XCTAssertThrowsError(try IIOAccelerometer.open(other.device)) { error in
            XCTAssertEqual((error as? UpturnError)?.problems, [other.device + "/in_accel_scale:1:1: not a number: 'fast'"])
        }
    }

    func testTwoPosesGiveTheAngleWhateverWayTheBoardIsMounted() throws {
        let root = temporaryFolder()
        // A third mounting: the kernel's mount matrix undoes a board fixed upside down.
        let mountings: [(String, (Vector3) -> Vector3, String?)] = [
            ("flat", { $0 }, nil), ("rail", Self.rail, nil),
            ("upside down, with a mount matrix", { Vector3($0.x, -$0.y, -$0.z) }, "1, 0, 0; 0, -1, 0; 0, 0, -1"),
        ]
        for (name, axes, matrix) in mountings {
            let fake = FakeIIO(root + "/" + name.filter(\.isLetter), mount: matrix)
            let device = try IIOAccelerometer.open(fake.device)
            func read(_ degrees: Double) throws -> Vector3 {
                fake.set(degrees, axes: axes)
                return try device.read().get()
            }
            let calibration = try AngleCalibration.from(upright: try read(-90), level: try read(0), device: "mpu6050", made: "now")
            for degrees in [-90.0, -45, 0, 20, 30, 45, 60, 75, 90] {
                XCTAssertEqual(calibration.degrees(try read(degrees)), degrees, accuracy: 0.05, "\(name) at \(degrees)°")
            }
            if name == "rail" {
                XCTAssertGreaterThan(abs(AngleCalibration.assumed.degrees(try read(30)) - 30), 10, "without the calibration, the rail reads wrong")
            }
        }
        // Poses too alike give no axis.
        XCTAssertThrowsError(try AngleCalibration.from(upright: Vector3(1, 0, 0), level: Vector3(1, 0.2, 0), device: "", made: "")) { error in
            XCTAssertTrue("\(error)".contains("the two poses are only 11° apart"), "\(error)")
        }
    }

    func testTheCalibrationIsKeptAndABadFileIsItsPlace() throws {
        let file = temporaryFolder() + "/angle.json5"
        XCTAssertNil(try AngleCalibration.load(file: file))
        let made = AngleCalibration(upright: Vector3(0, 1, 0), level: Vector3(1, 0, 0), device: "lis3dh", made: "2026-12-05T12:00:00Z")
        try made.save(file: file)
        let read = try XCTUnwrap(try AngleCalibration.load(file: file))
        XCTAssertEqual(read.device, "lis3dh")
        XCTAssertEqual(read.degrees(Vector3(-1, 0, 0)), made.degrees(Vector3(-1, 0, 0)), accuracy: 0.01)
        FileManager.default.createFile(atPath: file, contents: Data("{upright: [1, 0, 0], level: [0, 0, 'x']}\n".utf8))
        XCTAssertThrowsError(try AngleCalibration.load(file: file)) { error in
            XCTAssertEqual((error as? UpturnError)?.code, .dataError)
            XCTAssertTrue("\(error)".contains(file + ":1:29: level: expected [x, y, z]"), "\(error)")
        }
    }

    /// The figures, on a simulated table: < 1° static, < 3° moving at 10°/s.
    func testTheFilterIsWithinADegreeStillAndThreeMovingAndDoesNotFlap() {
        var random = SplitMix(seed: 22)
        func noise() -> Double { (Double(random.next(2001)) - 1000) / 1000 * 0.01 }  // ±0.01 g
        let calibration = AngleCalibration.assumed
        func felt(_ degrees: Double) -> Vector3 {
            let r = degrees * .pi / 180
            return Vector3(-sin(r) + noise(), noise(), cos(r) + noise())
        }
        var filter = AngleFilter()
        var changes = 0, last: Double?, worst = 0.0
        for i in 0..<400 {  // 20 s at 20 Hz, still at 30°
            let shown = filter.feed(felt(30), at: Double(i) / 20, calibration: calibration)
            if i > 20 { worst = max(worst, abs(shown - 30)) }
            if shown != last { changes += 1 }
            last = shown
        }
        XCTAssertLessThan(worst, 1, "static error")
        XCTAssertLessThan(changes, 20, "the angle flaps with the noise (\(changes) changes in 400 readings)")
        worst = 0
        for i in 0..<120 {  // from 0° to 60° at 10°/s
            let t = 20 + Double(i) / 20, truth = Double(i) / 2
            let shown = filter.feed(felt(truth), at: t, calibration: calibration)
            if i > 10 { worst = max(worst, abs(shown - truth)) }
        }
        XCTAssertLessThan(worst, 3, "error while moving at 10°/s")
    }

    func testTheSensorSaysWhenItIsLostBackOrGivesGarbageAndKeepsNoStaleAngle() throws {
        let fake = FakeIIO(temporaryFolder() + "/sys")
        fake.set(30)
        final class Lines: @unchecked Sendable { var all: [String] = [] }
        let lines = Lines()
        let sensor = try AngleSensor(spec: "iio", root: fake.root, calibration: .assumed, report: { lines.all.append($0) })
        var t = 100.0
        func run(_ seconds: Double) {
            for _ in 0..<Int(seconds * 20) {
                sensor.step(at: t)
                t += 0.05
            }
        }
        run(1)
        XCTAssertEqual(sensor.current?.degrees ?? 0, 30, accuracy: 0.5)
        fake.put("in_accel_x_raw", "garbage")
        run(0.5)
        XCTAssertEqual(lines.all.count, 1, "\(lines.all)")
        XCTAssertTrue(lines.all[0].contains("in_accel_x_raw: not a reading: 'garbage'; the reading is skipped"), lines.all[0])
        XCTAssertNotNil(sensor.current, "half a second of garbage: the angle stands")
        run(1)
        XCTAssertNil(sensor.current, "a second of garbage: no angle")
        fake.set(45)
        run(1)
        XCTAssertEqual(sensor.current?.degrees ?? 0, 45, accuracy: 0.5)
        XCTAssertTrue(lines.all.contains("angle: good readings again"), "\(lines.all)")
        // Three g: a knock or a faulty sensor, not gravity.
        fake.set(45, g: 3)
        run(0.2)
        XCTAssertTrue(lines.all.last?.contains("m/s², not gravity") == true, "\(lines.all)")
        fake.set(45)
        run(0.2)
        // Unplugged, and back.
        let hidden = fake.root + "/hidden"
        try FileManager.default.moveItem(atPath: fake.device, toPath: hidden)
        run(0.2)
        XCTAssertNil(sensor.current)
        XCTAssertTrue(lines.all.last?.contains("the accelerometer is gone") == true, "\(lines.all)")
        try FileManager.default.moveItem(atPath: hidden, toPath: fake.device)
        run(1.5)
        XCTAssertTrue(lines.all.last?.contains("the sensor is back (mpu6050)") == true, "\(lines.all)")
        run(0.5)
        XCTAssertEqual(sensor.current?.degrees ?? 0, 45, accuracy: 0.5)
    }
}
