import Foundation
import XCTest

/// MPRIS against real clients (playerctl, busctl, dbus-monitor) on a private session bus
/// started here, with sessions playing on the PulseAudio bed.
final class MPRISTests: PulseBedTestCase {
    var bus: Child?
    var busAddress = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        for tool in ["/usr/bin/dbus-daemon", "/usr/bin/playerctl", "/usr/bin/busctl", "/usr/bin/dbus-monitor"] {
            guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("\(tool) is not installed (Scripts/setup --test)") }
        }
        let socket = Upturn.file("bus-\(UUID().uuidString.prefix(6))")
        busAddress = "unix:path=\(socket)"
        bus = try Child("/usr/bin/dbus-daemon", ["--session", "--nofork", "--address=\(busAddress)"])
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(20_000) }
        environment["DBUS_SESSION_BUS_ADDRESS"] = busAddress
    }

    override func tearDown() {
        bus?.terminate()
        _ = bus?.finish(timeout: 5)
        super.tearDown()
    }

    func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let out = Upturn.file("tool-\(UUID().uuidString.prefix(8)).out")
        let child = try Child(tool, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { _, n in n }, stdout: out, stderr: out)
        XCTAssertTrue(child.finish(timeout: 20))
        return (child.terminationStatus, ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func playerctl(_ arguments: String...) throws -> String { try run("/usr/bin/playerctl", ["-p", "upturn"] + arguments).output }

    /// A frozen bus never holds the session back (issue 18: 90 s of silence before the
    /// session began, sd-bus's authentication timeout): MPRIS connects off the session's path.
    func testAFrozenBusDoesNotDelayTheSession() throws {
        let plan = Upturn.write("frozen-bus.json5", "{title: 'Frozen', steps: [{say: 'Hello.'}, {rest: '1s'}]}")
        let out = Upturn.file("frozen-bus.wav")
        bus?.signal(SIGSTOP)
        defer { bus?.signal(SIGCONT) }
        let started = Date()
        let result = Upturn.finish(
            try Upturn.start(["play", plan, "--alone", "--controls", "mpris", "--device", "file:FILE=\(out),FORMAT=wav"], environment: environment),
            timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 15, "the session waited for a frozen bus: \(result.stderr)")
    }

    func testPlayerctlDrivesASessionAndChangesAreSignalled() throws {
        let plan = Upturn.write("mpris.json5", "{title: 'Bus', steps: [{rest: '1m', title: 'First rest'}, {rest: '1m', title: 'Second rest'}]}")
        let player = try Upturn.start(["play", plan, "--device", "pulse", "--controls", "socket,mpris", "--socket", socket], environment: environment)
        try waitForStatus { ($0["step"] as? Int ?? 0) >= 0 && $0["state"] as? String == "playing" }
        for _ in 0..<50 where try playerctl("metadata", "xesam:album") != "Bus" { usleep(100_000) }
        XCTAssertEqual(try playerctl("status"), "Playing")
        XCTAssertEqual(try playerctl("metadata", "xesam:album"), "Bus")
        XCTAssertEqual(try run("/usr/bin/playerctl", ["-l"]).output, "upturn")

        // PropertiesChanged, as a client sees it.
        let monitorOut = Upturn.file("monitor-\(UUID().uuidString.prefix(6)).txt")
        let monitor = try Child(
            "/usr/bin/dbus-monitor", ["--address", busAddress, "type='signal',interface='org.freedesktop.DBus.Properties'"],
            environment: ProcessInfo.processInfo.environment, stdout: monitorOut)
        usleep(300_000)
        _ = try playerctl("pause")
        try waitForStatus { $0["paused"] as? Bool == true }
        XCTAssertEqual(try playerctl("status"), "Paused")
        _ = try playerctl("play-pause")
        try waitForStatus { $0["paused"] as? Bool == false }
        let before = try waitForStatus { _ in true }["title"] as? String
        _ = try playerctl("next")
        let after = try waitForStatus { $0["title"] as? String != before }["title"] as? String
        for _ in 0..<30 where try playerctl("metadata", "xesam:title") != after { usleep(100_000) }
        XCTAssertEqual(try playerctl("metadata", "xesam:title"), after, "from \(before ?? "?")")
        usleep(500_000)
        monitor.terminate()
        _ = monitor.finish(timeout: 5)
        let signals = (try? String(contentsOfFile: monitorOut, encoding: .utf8)) ?? ""
        XCTAssertTrue(signals.contains("PropertiesChanged") && signals.contains("PlaybackStatus") && signals.contains("\"Paused\""), signals)

        // Bad calls get D-Bus errors, and the session goes on.
        let object = ["org.mpris.MediaPlayer2.upturn", "/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2.Player"]
        XCTAssertNotEqual(try run("/usr/bin/busctl", ["--user", "call"] + object + ["Dance"]).status, 0)
        XCTAssertNotEqual(try run("/usr/bin/busctl", ["--user", "call"] + object + ["OpenUri", "s", "file:///x.ogg"]).status, 0)
        XCTAssertNotEqual(try run("/usr/bin/busctl", ["--user", "call"] + object + ["Seek", "s", "soon"]).status, 0)
        XCTAssertEqual(try run("/usr/bin/busctl", ["--user", "call"] + object + ["SetPosition", "ox", "/stale/track", "5"]).status, 0)

        // A second player gets a name of its own.
        let other = Upturn.file("c2-\(UUID().uuidString.prefix(6)).sock")
        let second = try Upturn.start(["play", plan, "--device", "pulse", "--controls", "socket,mpris", "--socket", other], environment: environment)
        var names = ""
        for _ in 0..<50 where !names.contains("instance") { usleep(100_000); names = try run("/usr/bin/playerctl", ["-l"]).output }
        XCTAssertTrue(names.contains("upturn.instance"), names)
        second.0.terminate()
        _ = Upturn.finish(second, timeout: 20)

        // The bus going away does not stop the session.
        bus?.terminate()
        _ = bus?.finish(timeout: 5)
        usleep(500_000)
        XCTAssertEqual(try waitForStatus { _ in true }["state"] as? String, "playing")
        try ctl("stop")
        let result = Upturn.finish(player, timeout: 30)
        XCTAssertEqual(result.status, 0, result.stderr)
    }
}
