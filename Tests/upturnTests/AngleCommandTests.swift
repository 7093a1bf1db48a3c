import Foundation
import XCTest

/// `upturn angle`, `angle calibrate` and `play --angle` against a simulated table
/// (`Tests/sensors/table.py`: a fake IIO tree moved over time, with noise and a person's sway).
/// Simulated tables started by a test, stopped by PID at its end.
final class SimulatedTables {
    private var children: [Child] = []

    /// A simulated table in a tree of its own: its root.
    func start(_ arguments: [String]) throws -> String {
        let root = Upturn.file("iio-\(UUID().uuidString.prefix(6))")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sensors/table.py").path
        children.append(try Child("/usr/bin/python3", [script, root] + arguments, stderr: root + ".log"))
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: root + "/iio:device0/in_accel_z_raw") { usleep(100_000) }
        return root
    }

    func stop() {
        for child in children {
            child.signal(SIGTERM)
            child.wait(timeout: 5)
        }
        children = []
    }
}

final class AngleCommandTests: XCTestCase {
    let tables = SimulatedTables()
    lazy var config = Upturn.file("angle-config-\(UUID().uuidString.prefix(6))")
    lazy var data = Upturn.file("angle-data-\(UUID().uuidString.prefix(6))")
    var env: [String: String] { ["XDG_CONFIG_HOME": config, "XDG_DATA_HOME": data] }

    override func tearDown() {
        tables.stop()
        super.tearDown()
    }

    func table(_ arguments: [String]) throws -> String { try tables.start(arguments) }

    func json(_ line: Substring) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    func testTheAngleIsReadAndAMissingSensorIsOneLine() throws {
        let root = try table(["--program", "0:30", "--sway", "0"])
        let result = try Upturn.run(["angle", "--angle", "iio:" + root, "--once", "--json"], environment: env)
        XCTAssertEqual(result.status, 0, result.stderr)
        let reading = try json(Substring(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(reading["degrees"] as? Double ?? 0, 30, accuracy: 1, "static error under 1°")
        XCTAssertEqual(reading["inverted"] as? Bool, true)
        XCTAssertEqual(reading["calibrated"] as? Bool, false)
        XCTAssertTrue(result.stderr.contains("not calibrated (upturn angle calibrate)"), result.stderr)

        // Live until a signal: SIGTERM ends it at once (it spun at 80 % of a core, the stop's
        // wake never taken, when a bench's reader went away).
        let live = try Upturn.start(["angle", "--angle", "iio:" + root], environment: env)
        sleep(1)
        live.0.signal(SIGTERM)
        XCTAssertTrue(live.0.wait(timeout: 3), "upturn angle ended on SIGTERM")
        XCTAssertEqual(Upturn.finish(live, timeout: 1).status, 0)

        let missing = try Upturn.run(["angle", "--angle", "iio:" + Upturn.file("no-tree"), "--once"], environment: env)
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("no IIO accelerometer (a folder with in_accel_x_raw)"), missing.stderr)
        let bad = try Upturn.run(["angle", "--angle", "usb0"], environment: env)
        XCTAssertEqual(bad.status, 64)

        // `check` says when the box's sensor is not calibrated, and checks the calibration kept.
        let plan = Upturn.write("check-angle.json5", "{title: 'T', steps: [{say: 'Hi.'}]}")
        var here = env
        here["UPTURN_IIO_ROOT"] = root
        let unchecked = try Upturn.run(["check", plan], environment: here)
        XCTAssertEqual(unchecked.status, 0, unchecked.stderr)
        XCTAssertTrue(unchecked.stdout.contains("angle: an accelerometer (mpu6050) is here but not calibrated: run upturn angle calibrate"), unchecked.stdout)
        try FileManager.default.createDirectory(atPath: config + "/upturn", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: config + "/upturn/angle.json5", contents: Data("{upright: [1, 0, 0]}\n".utf8))
        let broken = try Upturn.run(["check", plan], environment: here)
        XCTAssertEqual(broken.status, 65)
        XCTAssertTrue(broken.stderr.contains("angle.json5:1:1: level: missing 'level' (run upturn angle calibrate)"), broken.stderr)
        XCTAssertFalse(try Upturn.run(["check", plan], environment: env).stdout.contains("angle:"), "no sensor here: nothing said")
    }

    /// The board on the side rail: without a calibration the angle is wrong; two poses by
    /// voice (presses through the socket) put it right.
    func testCalibrationByVoiceFindsTheAxisOfABoardOnTheRail() throws {
        let control = Upturn.file("control-\(UUID().uuidString.prefix(6))")
        FileManager.default.createFile(atPath: control, contents: Data("-88\n".utf8))
        let root = try table(["--mount", "rail", "--control", control, "--program", "0:-88"])
        sleep(1)
        let socket = Upturn.file("angle-\(UUID().uuidString.prefix(6)).sock")
        let spoken = Upturn.file("calibrate.wav")
        let calibrate = try Upturn.start(
            ["angle", "calibrate", "--angle", "iio:" + root, "--controls", "socket", "--socket", socket, "--device", "file:FILE=\(spoken),FORMAT=wav"],
            environment: env)
        func waitFor(_ text: String) {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, !(((try? String(contentsOfFile: calibrate.2, encoding: .utf8)) ?? "").contains(text)) { usleep(100_000) }
        }
        waitFor("Stand upright on the table")
        usleep(500_000)
        XCTAssertEqual(try Upturn.run(["ctl", "toggle", "--socket", socket]).status, 0)
        waitFor("tilt until you lie level")
        FileManager.default.createFile(atPath: control, contents: Data("0\n".utf8))
        sleep(10)  // 88° at 10°/s
        XCTAssertEqual(try Upturn.run(["ctl", "toggle", "--socket", socket]).status, 0)
        let result = Upturn.finish(calibrate, timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("calibrated mpu6050"), result.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: config + "/upturn/angle.json5"))
        FileManager.default.createFile(atPath: control, contents: Data("45\n".utf8))
        sleep(6)
        let reading = try Upturn.run(["angle", "--angle", "iio:" + root, "--once", "--json"], environment: env)
        XCTAssertEqual(try json(Substring(reading.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))["degrees"] as? Double ?? 0, 45, accuracy: 1.5)
        XCTAssertFalse(reading.stderr.contains("not calibrated"), reading.stderr)
    }

    /// A session on the simulated table: the tilt waits for it, "Good", the hold's clock from
    /// arrival, the return waits for upright; the history holds the measured angles.
    func testASessionFollowsTheTableAndTheHistoryHoldsWhatWasMeasured() throws {
        let plan = Upturn.write(
            "follow.json5", "{title: 'Follow', steps: [{say: 'Ready.'}, {tilt: 30, settle: '5s'}, {hold: '20s'}, {tilt: 0, settle: '5s'}, {rest: '5s'}]}")
        // Standing, then tilting back over 4 s, 30° held 8 s, up again over 3 s.
        let root = try table(["--program", "0:-85 2:-85 6:30 14:30 17:-85"])
        let out = Upturn.file("follow-\(UUID().uuidString.prefix(6)).wav")
        let result = try Upturn.run(
            ["play", plan, "--angle", "iio:" + root, "--controls", "none", "--device", "file:FILE=\(out),FORMAT=wav"], environment: env, timeout: 90)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        let expected = ["waiting for the table to reach 30°", "the table reached 30°", "waiting for the table to come upright", "the table is upright"]
        var at = 0
        for line in lines where at < expected.count && line.contains(expected[at]) { at += 1 }
        XCTAssertEqual(at, expected.count, "in order: \(expected) in\n\(result.stderr)")
        let history = try Upturn.run(["history", "--json"], environment: env)
        let sessions = try XCTUnwrap((try json(Substring(history.stdout)))["sessions"] as? [[String: Any]])
        XCTAssertEqual(sessions.last?["ended"] as? String, "finished", "a tilt made short by the table is a step done")
        XCTAssertEqual(Double(sessions.last?["highest_angle"] as? Int ?? 0), 30, accuracy: 1.5, "held 5 s, with the sway and the noise")
        let journal = try String(contentsOfFile: data + "/upturn/history.jsonl", encoding: .utf8)
        let end = try json(try XCTUnwrap(journal.split(separator: "\n").last))
        let trace = try XCTUnwrap(end["angle_trace"] as? [Double])
        XCTAssertGreaterThan(trace.count, 10, "an angle a second")
        XCTAssertEqual(trace.max() ?? 0, 30, accuracy: 1.5)

        // Without --angle, the same plan plays as it always did: no waiting, nothing measured.
        let plain = try Upturn.run(["play", plan, "--controls", "none", "--device", "file:FILE=\(out),FORMAT=wav"], environment: env)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertFalse(plain.stderr.contains("table"), plain.stderr)
        XCTAssertFalse(try String(contentsOfFile: data + "/upturn/history.jsonl", encoding: .utf8).split(separator: "\n").last!.contains("angle_trace"))
    }

    /// The issue's "done when": a whole `first-time` session on the simulated table, with a
    /// person who does what the status says (tilts to each angle when the session waits for
    /// it, comes up when asked): each tilt confirmed, the holds from arrival, the returns
    /// waiting for upright, the history holding the measured angles and the trace.
    func testAWholeFirstTimeSessionFollowsTheTable() throws {
        let control = Upturn.file("control-\(UUID().uuidString.prefix(6))")
        FileManager.default.createFile(atPath: control, contents: Data("-85\n".utf8))
        let root = try table(["--control", control, "--program", "0:-85"])
        let socket = Upturn.file("ft-\(UUID().uuidString.prefix(6)).sock")
        let out = Upturn.file("first-time-\(UUID().uuidString.prefix(6)).wav")
        let play = try Upturn.start(
            ["play", "first-time", "--angle", "iio:" + root, "--controls", "socket", "--socket", socket, "--device", "file:FILE=\(out),FORMAT=wav"],
            environment: env)
        var targets: [String] = []
        let deadline = Date().addingTimeInterval(150)
        while play.0.isRunning && Date() < deadline {
            usleep(200_000)
            let status = try Upturn.run(["ctl", "status", "--socket", socket])
            guard status.status == 0, let object = try? json(Substring(status.stdout)), object["waiting_for_table"] as? Bool == true else { continue }
            let title = object["title"] as? String ?? ""
            let target = title.firstMatch(of: /Tilt to (\d+)°/).map { String($0.1) } ?? "-85"
            if targets.last != target {
                // Asked to come up, the person stays a few seconds more (the file bed plays a
                // hold in no time; on a table it lasts): the steepest angle is held 5 s.
                if target == "-85" { sleep(6) }
                targets.append(target)
            }
            FileManager.default.createFile(atPath: control, contents: Data("\(target)\n".utf8))
        }
        let result = Upturn.finish(play, timeout: 10)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(targets, ["20", "-85", "30", "-85"], "the person followed the session's waits: \(result.stderr)")
        let expected = [
            "waiting for the table to reach 20°", "the table reached 20°", "the table is upright", "waiting for the table to reach 30°",
            "the table reached 30°", "the table is upright",
        ]
        var at = 0
        for line in result.stderr.split(separator: "\n") where at < expected.count && line.contains(expected[at]) { at += 1 }
        XCTAssertEqual(at, expected.count, "in order: \(expected) in\n\(result.stderr)")
        let history = try Upturn.run(["history", "--json"], environment: env)
        let last = try XCTUnwrap((try json(Substring(history.stdout)))["sessions"] as? [[String: Any]]).last
        XCTAssertEqual(last?["ended"] as? String, "finished")
        XCTAssertEqual(Double(last?["highest_angle"] as? Int ?? 0), 30, accuracy: 1)
        XCTAssertEqual(last?["angle_measured"] as? Bool, true)
        XCTAssertGreaterThan((last?["angle_trace"] as? [Double])?.count ?? 0, 20)
    }

    /// A table that never gets there goes on after the settle time and 20 s; an overshoot is
    /// told; the sensor unplugged mid-session is one line and a cue, and the session goes on.
    func testATableThatNeverGetsThereAnOvershootAndASensorUnplugged() throws {
        let plan = Upturn.write(
            "never.json5", "{title: 'Never', steps: [{tilt: 30, settle: '2s'}, {hold: '15s'}, {tilt: 40, settle: '2s'}, {hold: '15s'}, {tilt: 0}]}")
        // 15° for 26 s (30° is never reached), then 52° (past 40° by 12°), then the sensor is
        // unplugged while the return waits, and comes back upright.
        let root = try table(["--program", "0:15 26:15 28:52 40:52 41:-80", "--unplug", "33-38", "--sway", "0"])
        let out = Upturn.file("never-\(UUID().uuidString.prefix(6)).wav")
        let started = Date()
        let result = try Upturn.run(
            ["play", plan, "--angle", "iio:" + root, "--controls", "none", "--device", "file:FILE=\(out),FORMAT=wav"], environment: env, timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("the table did not reach 30° (it is at 15°); going on"), result.stderr)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 20, "it waited for the table")
        XCTAssertTrue(result.stderr.contains("past the plan's 40°"), result.stderr)
        XCTAssertTrue(result.stderr.contains("the accelerometer is gone"), result.stderr)
        XCTAssertTrue(result.stderr.contains("the angle sensor is lost: the session goes on by the plan"), result.stderr)
    }
}

/// On the PulseAudio bed, in real time: a stop while tilted, and a person who does not come
/// up. The closing is said again with the alarm every 30 s (the status shows it) until the
/// table is upright; then "You're upright" and the session ends. No hang.
final class AngleBedTests: PulseBedTestCase {
    func testAPersonWhoDoesNotComeUpAfterAStopRaisesTheAlarmUntilTheyDo() throws {
        let tables = SimulatedTables()
        defer { tables.stop() }
        let env = ["XDG_CONFIG_HOME": Upturn.file("bed-config-\(UUID().uuidString.prefix(6))"), "XDG_DATA_HOME": Upturn.file("bed-data-\(UUID().uuidString.prefix(6))")]
        let control = Upturn.file("control-\(UUID().uuidString.prefix(6))")
        FileManager.default.createFile(atPath: control, contents: Data("30\n".utf8))
        let root = try tables.start(["--control", control, "--program", "0:30"])
        let plan = Upturn.write("alarm.json5", "{title: 'Alarm', steps: [{tilt: 30, settle: '3s'}, {hold: '2m'}, {tilt: 0}]}")
        let recording = try startRecording("alarm.raw")
        let play = try Upturn.start(
            ["play", plan, "--angle", "iio:" + root, "--controls", "socket", "--socket", socket, "--device", "pulse"],
            environment: environment.merging(env) { _, new in new })
        try waitForStatus { ($0["title"] as? String)?.hasPrefix("Hold") == true && $0["angle"] != nil }
        try ctl("stop")
        // The closing is said; the table stays at 30°: 30 s later, the alarm and the words again.
        let alarmed = try waitForStatus(timeout: 50) { $0["alarm"] as? Bool == true }
        XCTAssertEqual(alarmed["waiting_for_table"] as? Bool, false, "the closing is being said again")
        sleep(3)
        FileManager.default.createFile(atPath: control, contents: Data("-85\n".utf8))
        let result = Upturn.finish(play, timeout: 40)
        let heard = try stopRecording(recording)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stderr
        XCTAssertTrue(lines.contains("waiting for the table to come upright after the closing"), lines)
        XCTAssertNotNil(lines.firstMatch(of: /ALARM: still tilted \((29|30|31)°\) 30 s after the closing; saying it again/), lines)
        XCTAssertTrue(lines.contains("the table is upright"), lines)
        // Heard: the closing, about 30 s of quiet, the closing again, then "You're upright".
        let second = 48_000
        let loud = stride(from: 0, to: heard.count - second / 2, by: second / 2).map { start in
            heard[start..<min(heard.count, start + second / 2)].contains { abs(Int($0)) > 1000 }
        }
        let bursts = zip(loud, loud.dropFirst()).filter { !$0.0 && $0.1 }.count + (loud.first == true ? 1 : 0)
        XCTAssertGreaterThanOrEqual(bursts, 4, "tilt words, the closing, the closing again, You're upright: \(loud.map { $0 ? "#" : "." }.joined())")
        let history = try Upturn.run(["history", "--json"], environment: env)
        XCTAssertTrue(history.stdout.contains("\"ended\": \"stopped by the user\""), history.stdout)
    }

    /// `serve --angle`: the status shows the table between sessions, and a session started
    /// from the socket follows it.
    func testServeShowsTheTableAndItsSessionsFollowIt() throws {
        let tables = SimulatedTables()
        defer { tables.stop() }
        let env = ["XDG_CONFIG_HOME": Upturn.file("serve-config-\(UUID().uuidString.prefix(6))"), "XDG_DATA_HOME": Upturn.file("serve-data-\(UUID().uuidString.prefix(6))")]
        let control = Upturn.file("control-\(UUID().uuidString.prefix(6))")
        FileManager.default.createFile(atPath: control, contents: Data("-85\n".utf8))
        let root = try tables.start(["--control", control, "--program", "0:-85"])
        let plan = Upturn.write("serve-follow.json5", "{title: 'Serve', steps: [{tilt: 30, settle: '2s'}, {hold: '1m'}, {tilt: 0}]}")
        let serve = try Upturn.start(
            ["serve", "--angle", "iio:" + root, "--device", "pulse", "--controls", "socket", "--socket", socket],
            environment: environment.merging(env) { _, new in new })
        let waiting = try waitForStatus { $0["state"] as? String == "waiting" && $0["angle"] as? Int != nil }
        XCTAssertEqual(Double(waiting["angle"] as? Int ?? 0), -85, accuracy: 2)
        XCTAssertEqual(waiting["alarm"] as? Bool, false)
        XCTAssertEqual(try Upturn.run(["ctl", "start", plan, "--socket", socket]).status, 0)
        try waitForStatus { $0["waiting_for_table"] as? Bool == true }
        FileManager.default.createFile(atPath: control, contents: Data("30\n".utf8))
        let holding = try waitForStatus(timeout: 30) { ($0["title"] as? String)?.hasPrefix("Hold") == true }
        XCTAssertEqual(holding["angle"] as? Double ?? 0, 30, accuracy: 3, (try? String(contentsOfFile: serve.2, encoding: .utf8)) ?? "")
        try ctl("stop")
        sleep(4)
        FileManager.default.createFile(atPath: control, contents: Data("-85\n".utf8))
        try waitForStatus(timeout: 40) { $0["state"] as? String == "waiting" }
        serve.0.signal(SIGTERM)
        let result = Upturn.finish(serve, timeout: 30)
        XCTAssertEqual(result.status, 0, result.stderr)
        for line in ["the table reached 30°", "the table is upright", "session ended: stopped by the user"] {
            XCTAssertTrue(result.stderr.contains(line), "\(line) in \(result.stderr)")
        }
    }
}
