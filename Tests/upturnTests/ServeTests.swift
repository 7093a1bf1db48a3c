import Foundation
import XCTest

/// `upturn serve` on the PulseAudio bed: waiting, announcing, starting from the socket,
/// writing the journal, and today's plan moving on.
final class ServeTests: PulseBedTestCase {
    /// A history and settings of the test's own.
    lazy var data = Upturn.file("serve-data-\(UUID().uuidString.prefix(6))")
    lazy var config = Upturn.file("serve-config-\(UUID().uuidString.prefix(6))")

    var serveEnvironment: [String: String] {
        environment.merging(["XDG_DATA_HOME": data, "XDG_CONFIG_HOME": config]) { _, new in new }
    }

    func startServe(_ extra: [String] = [], environment: [String: String]? = nil) throws -> (Child, String, String) {
        try Upturn.start(["serve", "--device", "pulse", "--controls", "socket", "--socket", socket] + extra, environment: environment ?? serveEnvironment)
    }

    func stopServe(_ serve: (Child, String, String)) -> CommandResult {
        serve.0.signal(SIGTERM)
        return Upturn.finish(serve, timeout: 30)
    }

    func history() throws -> [[String: Any]] {
        let result = try Upturn.run(["history", "--json"], environment: ["XDG_DATA_HOME": data, "XDG_CONFIG_HOME": config])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try XCTUnwrap(object["sessions"] as? [[String: Any]])
    }

    /// A finished session of today's plan already in the history: stretch at level 1.
    func seedHistory() throws {
        try FileManager.default.createDirectory(atPath: data + "/upturn", withIntermediateDirectories: true)
        let lines = """
            {"v": 1, "event": "start", "id": "s1", "start": "2026-11-24T07:00:00Z", "plan": "today", "title": "Stretch, level 1", "steps": 15, "level": 1, "program": "stretch"}
            {"v": 1, "event": "end", "id": "s1", "end": "2026-11-24T07:13:00Z", "steps_done": 15, "inverted_seconds": 500, "highest_angle": 20, "ended": "finished"}

            """
        FileManager.default.createFile(atPath: data + "/upturn/history.jsonl", contents: Data(lines.utf8))
    }

    func testSocketStartPlaysTodayWritesTheJournalAndTodayMovesOn() throws {
        try seedHistory()
        let recording = try startRecording("serve.raw")
        let serve = try startServe()
        let waiting = try waitForStatus { $0["state"] as? String == "waiting" }
        let today = try XCTUnwrap(waiting["today"] as? [String: Any])
        XCTAssertEqual(today["program"] as? String, "core")
        XCTAssertEqual(today["level"] as? Int, 1)

        // A plan that does not exist is refused with its reason, and nothing starts.
        let unknown = try Upturn.run(["ctl", "start", "no-such-plan", "--socket", socket])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("upturn ctl: error: no built-in program or plan file 'no-such-plan'"), unknown.stderr)
        let start = try Upturn.run(["ctl", "start", "--socket", socket])
        XCTAssertEqual(start.status, 0, start.stderr)
        // While it is being prepared, a second start is refused, never queued for later.
        let second = try Upturn.run(["ctl", "start", "stretch", "--socket", socket])
        XCTAssertEqual(second.status, 64, second.stdout)
        XCTAssertTrue(second.stderr.contains("is about to start") || second.stderr.contains("is starting or playing"), second.stderr)
        let playing = try waitForStatus { ($0["step"] as? Int ?? 0) >= 1 }
        XCTAssertEqual(playing["title"] as? String != nil, true)
        XCTAssertEqual(try Upturn.run(["ctl", "start", "--socket", socket]).status, 64, "no second session while one plays")
        // Skip through the session, step by step, to its end.
        for _ in 0..<40 {
            let status = try waitForStatus { _ in true }
            if status["state"] as? String == "waiting" { break }
            _ = try Upturn.run(["ctl", "skip", "--socket", socket])
            usleep(300_000)
        }
        let after = try waitForStatus { $0["state"] as? String == "waiting" }
        // A stop between sessions starts nothing.
        XCTAssertEqual(try Upturn.run(["ctl", "stop", "--socket", socket]).status, 0)
        usleep(1_500_000)
        XCTAssertEqual(try waitForStatus { _ in true }["state"] as? String, "waiting", "a stop started a session")
        let samples = try stopRecording(recording)
        let result = stopServe(serve)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(samples.contains { abs(Int($0)) > 1000 }, "the session was heard")

        let sessions = try history()
        XCTAssertEqual(sessions.count, 2)
        XCTAssertEqual(sessions[1]["plan"] as? String, "today")
        // Skipped through to its end: stopped, not finished, so it does not move the level up.
        XCTAssertEqual(sessions[1]["ended"] as? String, "stopped by the user", result.stderr)
        XCTAssertEqual(sessions[1]["title"] as? String, "Core, level 1")
        let next = try XCTUnwrap(after["today"] as? [String: Any])
        XCTAssertEqual(next["level"] as? Int, 1)
        XCTAssertEqual(next["program"] as? String, "core", "a stopped session is offered again")
        XCTAssertEqual(next["angle"] as? Int, 20)
        let explain = try Upturn.run(["show", "today", "--explain"], environment: ["XDG_DATA_HOME": data, "XDG_CONFIG_HOME": config])
        XCTAssertTrue(explain.stdout.hasPrefix("Today: core, level 1: 20°"), explain.stdout)
        XCTAssertTrue(explain.stdout.contains("core at level 1 stopped after"), explain.stdout)
        // One log line per event.
        for line in ["started (device pulse", "waiting for a press", "start requested: today", "session started: today (Core, level 1)", "session ended: stopped by the user", "stopping (signal)"] {
            XCTAssertTrue(result.stderr.contains("upturn serve: " + line), "\(line) in \(result.stderr)")
        }
    }

    func testAPressAnnouncesTodayASecondPressStartsALongPressListsTheOthers() throws {
        let recording = try startRecording("announce.raw")
        let serve = try startServe()
        try waitForStatus { $0["state"] as? String == "waiting" }
        try ctl("toggle")
        try waitForStatus { $0["announced"] as? String == "today" }
        usleep(7_000_000)
        let heard = try stopRecording(recording)
        // The announcement was spoken: several seconds of speech.
        let loud = heard.filter { abs(Int($0)) > 500 }.count
        XCTAssertGreaterThan(loud, 48_000, "the announcement was heard")

        // A long press (stop, as a held button sends) lists the others and says the first.
        try ctl("stop")
        try waitForStatus { $0["announced"] as? String == "first-time" }
        try ctl("skip")
        try waitForStatus { $0["announced"] as? String == "stretch" }
        // The second press starts the one just said.
        try ctl("toggle")
        let playing = try waitForStatus { ($0["steps"] as? Int ?? 0) > 0 }
        XCTAssertEqual(playing["title"] as? String != nil, true)
        try ctl("stop")
        try waitForStatus { $0["state"] as? String == "waiting" }
        let result = stopServe(serve)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("press: announcing today's session"), result.stderr)
        XCTAssertTrue(result.stderr.contains("long press: listing the other sessions"), result.stderr)
        XCTAssertTrue(result.stderr.contains("session started: stretch (Stretch)"), result.stderr)
        let sessions = try history()
        XCTAssertEqual(sessions.last?["plan"] as? String, "stretch")
        XCTAssertEqual(sessions.last?["ended"] as? String, "stopped by the user")
    }

    func testItStartsBeforeTheSoundServerAndWaitsForIt() throws {
        // A runtime folder with no sound server in it yet.
        let runtime = Upturn.file("late-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var env = serveEnvironment
        env["XDG_RUNTIME_DIR"] = runtime
        env["HOME"] = runtime
        let serve = try startServe(environment: env)
        let notReady = try waitForStatus { $0["audio_ready"] as? Bool == false }
        XCTAssertEqual(notReady["state"] as? String, "waiting")
        XCTAssertTrue(serve.0.isRunning)
        // The sound server comes up: serve notices within a second or two.
        let late = environment
        environment = ["XDG_RUNTIME_DIR": runtime, "HOME": runtime]
        try startPulse()
        defer {
            if let pid = try? String(contentsOfFile: runtime + "/pulse/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), let n = Int32(pid) {
                kill(n, SIGTERM)
            }
            environment = late
        }
        try waitForStatus { $0["audio_ready"] as? Bool == true }

        // The sound server dies during a session: the session ends "audio lost" (after the
        // player's retries), and serve goes on waiting, and notices the server coming back.
        let plan = Upturn.write("serve-lost.json5", "{title: 'Lost', steps: [{say: 'Hello there.'}, {rest: '8s'}]}")
        XCTAssertEqual(try Upturn.run(["ctl", "start", plan, "--socket", socket]).status, 0)
        try waitForStatus { ($0["steps"] as? Int) == 2 }
        let pid = try String(contentsOfFile: runtime + "/pulse/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        kill(pid_t(pid)!, SIGTERM)
        try waitForStatus(timeout: 40) { $0["state"] as? String == "waiting" && $0["audio_ready"] as? Bool == false }
        XCTAssertTrue(serve.0.isRunning, "serve never exits on a lost device")
        sleep(1)
        try startPulse()
        try waitForStatus { $0["audio_ready"] as? Bool == true }
        let result = stopServe(serve)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("audio device not ready"), result.stderr)
        XCTAssertTrue(result.stderr.contains("audio device pulse is ready"), result.stderr)
        XCTAssertTrue(result.stderr.contains("session ended: audio lost"), result.stderr)
        let sessions = try history()
        XCTAssertEqual(sessions.last?["ended"] as? String, "audio lost")
    }
}

/// `today` and `--alone` from the command line, on the ALSA file plugin.
final class TodayAndAloneTests: XCTestCase {
    func folders() -> [String: String] {
        let id = UUID().uuidString.prefix(6)
        return ["XDG_DATA_HOME": Upturn.file("today-data-\(id)"), "XDG_CONFIG_HOME": Upturn.file("today-config-\(id)")]
    }

    func writeSettings(_ env: [String: String], _ text: String) throws {
        let folder = env["XDG_CONFIG_HOME"]! + "/upturn"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try text.write(toFile: folder + "/settings.json5", atomically: true, encoding: .utf8)
    }

    func sessions(_ env: [String: String]) throws -> [[String: Any]] {
        let result = try Upturn.run(["history", "--json"], environment: env)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try XCTUnwrap(object["sessions"] as? [[String: Any]])
    }

    func testAloneWithNobodyAnsweringEndsWithTheClosingAndSaysSoInTheHistory() throws {
        for viaSettings in [false, true] {
            let env = folders()
            if viaSettings { try writeSettings(env, "{alone: true}") }
            let out = Upturn.file("alone.wav")
            let play = try Upturn.run(
                ["play", "stretch", "--controls", "none", "--device", "file:FILE=\(out),FORMAT=wav"] + (viaSettings ? [] : ["--alone"]),
                environment: env)
            XCTAssertEqual(play.status, 0, play.stderr)
            XCTAssertTrue(play.stderr.contains("no answer to the check-in in 20 s"), play.stderr)
            let recorded = try readWAV(out).samples.count
            // The first hold asks 30 s in; 20 s later the closing comes, long before the end.
            let (frames, events) = try showJSON("stretch", extra: ["--alone"])
            let ask = try XCTUnwrap(events.first { $0["key"] as? String == "safety.check-in" })
            XCTAssertLessThan(recorded, frames / 2)
            XCTAssertGreaterThan(recorded, (ask["frame"] as! Int) + 48_000 * 20)
            let last = try XCTUnwrap(try sessions(env).last)
            XCTAssertEqual(last["ended"] as? String, "no answer to a check-in")
        }
    }

    func testABrokenSettingsFileTurnsCheckInsOnAndTodayFallsBackWithASpokenNote() throws {
        let env = folders()
        try writeSettings(env, "{alone: maybe}")
        let show = try Upturn.run(["show", "today", "--json"], environment: env)
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("\"key\": \"today.fallback\""), show.stdout)
        XCTAssertTrue(show.stdout.contains("I could not read your progress"), show.stdout)
        let explain = try Upturn.run(["show", "today", "--explain"], environment: env)
        XCTAssertTrue(explain.stdout.hasPrefix("Today: first-time, because the settings could not be read ("), explain.stdout)
        XCTAssertTrue(explain.stdout.contains("settings.json5:1:9"), explain.stdout)

        let out = Upturn.file("fallback.wav")
        let play = try Upturn.run(["play", "today", "--controls", "none", "--device", "file:FILE=\(out),FORMAT=wav"], environment: env)
        XCTAssertEqual(play.status, 0, play.stderr)
        XCTAssertTrue(play.stderr.contains("warning:") && play.stderr.contains("safety check-ins are on"), play.stderr)
        XCTAssertTrue(play.stderr.contains("today: the settings could not be read"), play.stderr)
        let last = try XCTUnwrap(try sessions(env).last)
        XCTAssertEqual(last["title"] as? String, "First time")
    }

    func testTodayWithoutAHistoryAndItsExplanation() throws {
        let env = folders()
        let explain = try Upturn.run(["show", "today", "--explain"], environment: env)
        XCTAssertEqual(explain.status, 0, explain.stderr)
        XCTAssertTrue(explain.stdout.hasPrefix("Today: stretch, level 1: 20°, holds as written"), explain.stdout)
        XCTAssertTrue(explain.stdout.contains("no sessions of today's plan yet"), explain.stdout)
        XCTAssertTrue(explain.stdout.contains("Rules: after 2 completed sessions at a level"), explain.stdout)
        XCTAssertEqual(try Upturn.run(["show", "core", "--explain"], environment: env).status, 64)
        let programs = try Upturn.run(["history"], environment: env)
        XCTAssertTrue(programs.stdout.contains("level 1"), programs.stdout)
    }
}

/// Scripts/install-service in a scratch root: the program, its packs, a unit that
/// systemd-analyze accepts, installed twice without a second unit, and removed.
final class InstallServiceTests: XCTestCase {
    func testInstallTwiceVerifyAndUninstallInAScratchRoot() throws {
        let root = Upturn.file("install-\(UUID().uuidString.prefix(6))")
        let script = ShippedPacks.folder + "/../Scripts/install-service"
        let common = ["--prefix", root + "/usr", "--unit-dir", root + "/units", "--user", "nobody", "--no-account", "--binary", Upturn.binary, "--no-start"]
        func install(_ extra: [String] = []) throws -> CommandResult {
            Upturn.finish(try Upturn.start(common + extra, executable: script), timeout: 120)
        }
        let first = try install()
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("installed \(root)/units/upturn.service"), first.stdout)
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
            XCTAssertTrue(first.stdout.contains("systemd-analyze verify: ok"), first.stdout + first.stderr)
        }
        let unit = try String(contentsOfFile: root + "/units/upturn.service", encoding: .utf8)
        XCTAssertTrue(unit.contains("ExecStart=\(root)/usr/bin/upturn serve --controls socket"), unit)
        XCTAssertTrue(unit.contains("Restart=on-failure"), unit)
        XCTAssertTrue(unit.contains("User=nobody"), unit)
        XCTAssertFalse(unit.contains("User=root"), unit)

        // The installed program runs and finds the installed packs.
        let installed = root + "/usr/bin/upturn"
        let packs = Upturn.finish(try Upturn.start(["packs"], executable: installed))
        XCTAssertEqual(packs.status, 0, packs.stderr)
        let clean = (root as NSString).standardizingPath
        for name in ["de", "es", "fr"] { XCTAssertTrue(packs.stdout.contains("\(clean)/usr/share/upturn/packs/\(name)"), packs.stdout) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/usr/share/upturn/programs/core.json5"))

        // Again: unchanged; with another option: updated in place, still one unit.
        XCTAssertTrue(try install().stdout.contains("is up to date"))
        let again = try install(["--alone", "--device", "plughw:1", "--angle", "iio:mpu6050"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("updated"), again.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/units"), ["upturn.service"])
        let updated = try String(contentsOfFile: root + "/units/upturn.service", encoding: .utf8)
        XCTAssertTrue(updated.contains("--device plughw:1") && updated.contains("--alone") && updated.contains("--angle iio:mpu6050"), updated)
        XCTAssertEqual(try install(["--angle", "iio:../x"]).status, 64)

        // Never as root; bad options are usage errors.
        XCTAssertEqual(try install(["--user", "root"]).status, 64)
        XCTAssertEqual(try install(["--prefix", "relative"]).status, 64)
        XCTAssertEqual(try install(["--device", "x; rm -rf /"]).status, 64)
        // A value that would split ExecStart or add lines to the unit (issue 18: a newline in
        // --prefix slipped `User=root` in) is refused, and nothing is written.
        for prefix in [root + "/u sr", root + "/usr\nUser=root", root + "/../usr", "/", root + "/usr/%h"] {
            let refused = try install(["--prefix", prefix])
            XCTAssertEqual(refused.status, 64, prefix + ": " + refused.stdout)
            XCTAssertTrue(refused.stderr.hasPrefix("install-service: --prefix "), refused.stderr)
        }
        XCTAssertEqual(try install(["--unit-dir", root + "/un its"]).status, 64)
        XCTAssertFalse(try String(contentsOfFile: root + "/units/upturn.service", encoding: .utf8).contains("User=root"))

        let removed = Upturn.finish(try Upturn.start(common + ["--uninstall"], executable: script))
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/units/upturn.service"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: installed))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/usr/share/upturn"))
    }

    /// `--root STAGE --uninstall` removes what is under STAGE, never the host's own
    /// (issue 18: it removed the host's PREFIX/bin/upturn and PREFIX/share/upturn).
    func testUninstallInAStageLeavesTheHostAlone() throws {
        let script = ShippedPacks.folder + "/../Scripts/install-service"
        let stage = Upturn.file("stage-\(UUID().uuidString.prefix(6))")
        let prefix = "/opt/upturn-probe-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: prefix + "/share/upturn", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        FileManager.default.createFile(atPath: prefix + "/bin/upturn", contents: Data("host".utf8))
        let common = ["--root", stage, "--prefix", prefix, "--user", "nobody", "--binary", Upturn.binary]
        // With the page over HTTPS: the certificate and key are copied beside the unit's root.
        let certificate = Upturn.write("web.pem", "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n")
        let key = Upturn.write("web.key", "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n")
        let notKey = Upturn.finish(
            try Upturn.start(common + ["--web", ":8443", "--web-cert", certificate, "--web-key", certificate], executable: script), timeout: 60)
        XCTAssertEqual(notKey.status, 64)
        XCTAssertTrue(notKey.stderr.contains("is not a private key in PEM"), notKey.stderr)
        let installed = Upturn.finish(
            try Upturn.start(common + ["--web", ":8443", "--web-cert", certificate, "--web-key", key], executable: script), timeout: 120)
        XCTAssertEqual(installed.status, 0, installed.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: stage + prefix + "/bin/upturn"))
        let unit = try String(contentsOfFile: stage + "/etc/systemd/system/upturn.service", encoding: .utf8)
        XCTAssertTrue(unit.contains("--web :8443 --web-cert /etc/upturn/web-cert.pem --web-key /etc/upturn/web-key.pem"), unit)
        let keyMode = try FileManager.default.attributesOfItem(atPath: stage + "/etc/upturn/web-key.pem")[.posixPermissions] as? Int
        XCTAssertEqual(keyMode, 0o640)
        let removed = Upturn.finish(try Upturn.start(common + ["--uninstall"], executable: script), timeout: 60)
        XCTAssertEqual(removed.status, 0, removed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stage + prefix + "/bin/upturn"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: stage + "/etc/upturn/web-key.pem"))
        XCTAssertEqual(try String(contentsOfFile: prefix + "/bin/upturn", encoding: .utf8), "host", "the host's program was removed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: prefix + "/share/upturn"), "the host's data was removed")
    }
}

/// `serve --web` announces the page on the LAN through avahi: a private system bus and an
/// avahi-daemon of the test's own (root only: avahi-daemon will not run as anyone else), and
/// avahi's own `avahi-browse` as the phone's zeroconf browser.
final class LANNameTests: PulseBedTestCase {
    var children: [Child] = []

    override func tearDown() {
        for child in children.reversed() {
            child.signal(SIGTERM)
            child.wait(timeout: 5)
        }
        super.tearDown()
    }

    func testThePageIsAnnouncedAsUpturnFoundAgainAfterTheDaemonRestartsAndWithdrawnAtTheEnd() throws {
        for tool in ["/usr/bin/dbus-daemon", "/usr/sbin/avahi-daemon", "/usr/bin/avahi-browse"] where !FileManager.default.isExecutableFile(atPath: tool) {
            if ProcessInfo.processInfo.environment["UPTURN_TEST_REQUIRE_BEDS"] == "1" { XCTFail("\(tool) is missing (Scripts/setup --test)") }
            throw XCTSkip("\(tool) is missing")
        }
        guard getuid() == 0 else { throw XCTSkip("avahi-daemon runs as root only") }
        // One avahi-daemon a machine (its pid file is fixed): the machine's own would refuse ours.
        if let pid = (try? String(contentsOfFile: "/run/avahi-daemon/pid", encoding: .utf8)).flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
            kill(pid, 0) == 0
        {
            throw XCTSkip("this machine's avahi-daemon (pid \(pid)) is running")
        }
        let folder = Upturn.file("lan-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bus = folder + "/system_bus"
        FileManager.default.createFile(atPath: folder + "/bus.conf", contents: Data("""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig><type>system</type><listen>unix:path=\(bus)</listen><auth>EXTERNAL</auth>
            <policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy></busconfig>
            """.utf8))
        // IPv4 only, no rate limit on the test's own quick restarts.
        FileManager.default.createFile(atPath: folder + "/avahi.conf", contents: Data("""
            [server]
            use-ipv4=yes
            use-ipv6=no
            ratelimit-interval-usec=1000000
            ratelimit-burst=1000
            [wide-area]
            enable-wide-area=no
            [publish]
            publish-workstation=no

            """.utf8))
        children.append(try Child("/usr/bin/dbus-daemon", ["--config-file=\(folder)/bus.conf", "--nofork"], stderr: folder + "/bus.log"))
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: bus) { usleep(100_000) }
        let env = ProcessInfo.processInfo.environment.merging(["DBUS_SYSTEM_BUS_ADDRESS": "unix:path=\(bus)"]) { _, new in new }
        func startAvahi() throws -> Child {
            let daemon = try Child(
                "/usr/sbin/avahi-daemon", ["--no-drop-root", "--no-chroot", "--no-rlimits", "-f", folder + "/avahi.conf"], environment: env,
                stderr: folder + "/avahi.log")
            children.append(daemon)
            return daemon
        }
        func browse() throws -> String {
            let out = folder + "/browse.txt"
            _ = try Child.run("/usr/bin/avahi-browse", ["-rtp", "_http._tcp"], environment: env, stdout: out, timeout: 15)
            return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        }
        func waitForLog(_ serve: (Child, String, String), _ text: String, after: Int = 0) -> Bool {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                let log = (try? String(contentsOfFile: serve.2, encoding: .utf8)) ?? ""
                if log.components(separatedBy: text).count - 1 > after { return true }
                usleep(100_000)
            }
            return false
        }
        var daemon = try startAvahi()
        let serve = try Upturn.start(
            ["serve", "--device", "pulse", "--controls", "socket", "--socket", socket, "--web", ":0"],
            environment: environment.merging(["DBUS_SYSTEM_BUS_ADDRESS": "unix:path=\(bus)", "XDG_CONFIG_HOME": folder + "/config"]) { _, new in new })
        func logs() -> String {
            ["bus.log", "avahi.log"].map { (try? String(contentsOfFile: folder + "/" + $0, encoding: .utf8)) ?? "" }.joined(separator: "\n")
                + ((try? String(contentsOfFile: serve.2, encoding: .utf8)) ?? "")
        }
        XCTAssertTrue(waitForLog(serve, "web: announced on the LAN as 'Upturn' (_http._tcp)"), logs())
        let log = (try? String(contentsOfFile: serve.2, encoding: .utf8)) ?? ""
        let port = try XCTUnwrap(log.firstMatch(of: /web on port (\d+)/).map { String($0.1) })
        let found = try browse()
        XCTAssertTrue(found.contains(";Upturn;Web Site;local;") && found.contains(";\(port);\"path=/\""), found)

        // The daemon restarts (an upgrade): the service waits for it and announces again.
        daemon.signal(SIGTERM)
        daemon.wait(timeout: 5)
        XCTAssertTrue(waitForLog(serve, "web: avahi-daemon went away; waiting for it"))
        daemon = try startAvahi()
        XCTAssertTrue(waitForLog(serve, "web: announced on the LAN as 'Upturn'", after: 1), logs())
        XCTAssertTrue(try browse().contains(";Upturn;Web Site;local;"))

        // The service ends: the name is withdrawn.
        serve.0.signal(SIGTERM)
        XCTAssertEqual(Upturn.finish(serve, timeout: 30).status, 0)
        // (The LAN's caches keep a name withdrawn with a goodbye for a second.)
        var gone = false
        for _ in 0..<10 where !gone {
            gone = !(try browse().contains(";Upturn;"))
            if !gone { usleep(500_000) }
        }
        XCTAssertTrue(gone, "the name outlived the service")
    }
}
