import Foundation
import XCTest

/// Real-time playback through a private PulseAudio daemon's null sink (started by
/// Scripts/test), recorded from the sink's monitor with parec.
/// Shared by the tests on the PulseAudio bed: its environment, recording, restarting.
class PulseBedTestCase: XCTestCase {
    var environment: [String: String] = [:]

    override func setUpWithError() throws {
        let env = ProcessInfo.processInfo.environment
        guard let runtime = env["UPTURN_TEST_PULSE_RUNTIME"] else {
            if env["UPTURN_TEST_REQUIRE_BEDS"] == "1" { XCTFail("the PulseAudio bed is not running") }
            throw XCTSkip("no PulseAudio bed; run Scripts/test")
        }
        environment = ["XDG_RUNTIME_DIR": runtime, "HOME": env["UPTURN_TEST_PULSE_HOME"] ?? runtime]
    }

    /// A short path: a Unix socket's path has at most 107 bytes.
    lazy var socket: String = Upturn.file("c-\(UUID().uuidString.prefix(8)).sock")

    /// Polls `upturn ctl status` until `condition` holds; the status object.
    @discardableResult
    func waitForStatus(timeout: Double = 30, _ condition: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let result = try Upturn.run(["ctl", "status", "--socket", socket])
            if result.status == 0, let data = result.stdout.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], condition(object)
            {
                return object
            }
            usleep(100_000)
        }
        XCTFail("status never matched")
        return [:]
    }

    func ctl(_ command: String) throws {
        let result = try Upturn.run(["ctl", command, "--socket", socket])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// Starts the bed's daemon again (after a test killed it), as Scripts/test does.
    func startPulse() throws {
        let arguments = [
            "-n", "--daemonize=yes", "--exit-idle-time=-1", "--disallow-exit", "--enable-memfd=no", "--use-pid-file=yes",
            "-L", "module-null-sink sink_name=upturn rate=48000 channels=1", "-L", "module-native-protocol-unix",
            "-L", "module-null-sink sink_name=speaker rate=48000 channels=1", "-L", "module-null-sink sink_name=room rate=48000 channels=1",
            "-L", "module-loopback source=speaker.monitor sink=room latency_msec=60",
        ]
        let status = try Child.run(
            "/usr/bin/pulseaudio", arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new })
        XCTAssertEqual(status, 0)
    }

    /// Records the null sink's monitor as raw 48 kHz mono S16.
    func startRecording(_ name: String, settle: Bool = true, source: String = "upturn.monitor") throws -> (Child, String) {
        let path = Upturn.file(name)
        let process = try Child(
            "/usr/bin/parec", ["--latency-msec=10", "-d", source, "--format=s16le", "--rate=48000", "--channels=1", "--raw"],
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new }, stdout: path)
        // An idle null sink stalls a new stream for about two seconds.
        if settle { usleep(2_500_000) }
        return (process, path)
    }

    func stopRecording(_ recording: (Child, String)) throws -> [Int16] {
        recording.0.terminate()
        _ = recording.0.finish(timeout: 10)
        let data = try Data(contentsOf: URL(fileURLWithPath: recording.1))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
    }
}

final class PulseAudioTests: PulseBedTestCase {
    func testSIGTERMDuringAHoldPlaysTheClosingCue() throws {
        try signalDuringAHoldPlaysTheClosingCue(SIGTERM)
    }

    /// The terminal or SSH session going away (SIGHUP) while inverted is a stop too.
    func testSIGHUPDuringAHoldPlaysTheClosingCue() throws {
        try signalDuringAHoldPlaysTheClosingCue(SIGHUP)
    }

    func signalDuringAHoldPlaysTheClosingCue(_ signal: Int32) throws {
        // A hold with no cues inside: anything heard during it is the closing segment.
        let plan = Upturn.write(
            "sigterm.json5",
            "{title: 'Signal', steps: [{tilt: 20, settle: '1s'}, {hold: '1m', halfway: false, countdown: false}, {tilt: 0}]}")
        let (_, events) = try showJSON(plan)
        let holdIntro = try XCTUnwrap(events.first { $0["key"] as? String == "hold.start" })
        let holdStart = (holdIntro["frame"] as! Int) + (holdIntro["length"] as! Int)
        // The closing cue's length: `say` makes the same clip from the same cache.
        let closing = Upturn.file("closing.wav")
        XCTAssertEqual(try Upturn.run(["say", "Slowly return upright. Take your time.", "--output", closing]).status, 0)
        let closingLength = try readWAV(closing).samples.filter { abs(Int($0)) >= 64 }.count

        let recording = try startRecording("signal-\(signal).raw")
        let started = try Upturn.start(["play", plan, "--device", "pulse"], environment: environment)
        let signalAt = Double(holdStart) / 48_000 + 3
        usleep(useconds_t(signalAt * 1_000_000))
        kill(started.0.processIdentifier, signal)
        let result = Upturn.finish(started, timeout: 20)
        usleep(300_000)
        let samples = try stopRecording(recording)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.exited)
        XCTAssertEqual(result.stderr, "")

        // Align the recording with the timeline on the first cue's onset.
        let firstCue = try XCTUnwrap(events.first { $0["kind"] as? String == "speech" }?["frame"] as? Int)
        let onset = try XCTUnwrap(samples.firstIndex { abs(Int($0)) >= 64 })
        let offset = onset - firstCue
        let holdInRecording = offset + holdStart
        let after = samples[min(samples.count, holdInRecording + 48_000)...]
        let heard = after.filter { abs(Int($0)) >= 64 }.count
        XCTAssertGreaterThan(heard, closingLength / 2, "no closing cue after signal \(signal)")
        // The session did not play on: the recording ends long before the hold would.
        XCTAssertLessThan(samples.count - offset, holdStart + 40 * 48_000)
    }

    func testStatusLineOnATerminal() throws {
        let plan = Upturn.write("status.json5", "{title: 'Status', steps: [{say: 'One.'}, {rest: '1m'}]}")
        // `script` gives upturn a terminal; SIGINT after three seconds, while upright, ends at once.
        // `--foreground` keeps upturn in the terminal's foreground process group, as a shell would.
        let screen = try onATerminal("timeout --foreground --preserve-status -s INT 3 \(Upturn.binary) play \(plan) --device pulse", name: "status")
        XCTAssertTrue(screen.contains("\r\u{1B}[2K"), screen)
        XCTAssertTrue(screen.contains("left in step"), screen)
        XCTAssertTrue(screen.contains(" left"), screen)
        // Three seconds in, the welcome is playing: the step and its time left count down.
        XCTAssertTrue(screen.contains("Start Welcome · 0:0"), screen)
        XCTAssertGreaterThanOrEqual(screen.components(separatedBy: "left in step").count, 3, screen)
        XCTAssertTrue(screen.contains("upturn exit 0"), screen)
    }

    /// Runs a shell command under `script`, on a fresh terminal, and returns what it printed.
    /// `/bin/sh` does not exec the last command, so a `timeout` without `--foreground` puts
    /// upturn in a background process group of a session that is not orphaned: touching the
    /// terminal there stops the process with SIGTTOU, as `upturn play &` in a shell would.
    private func onATerminal(_ command: String, name: String) throws -> String {
        let out = Upturn.file("\(name).out")
        var env = Upturn.baseEnvironment.merging(environment) { _, new in new }
        env["SHELL"] = "/bin/sh"
        try Child.run("/usr/bin/script", ["-qfec", command + "; echo upturn exit $?", "/dev/null"], environment: env, stdout: out, timeout: 60)
        return try String(contentsOfFile: out, encoding: .utf8)
    }

    func testInTheBackgroundOfATerminalItPlaysWithoutTheKeyboardAndIsNotStopped() throws {
        let plan = Upturn.write("background.json5", "{title: 'Background', steps: [{say: 'One.'}, {rest: '1m'}]}")
        // Started the way `upturn play &` is: a process group that is not the terminal's foreground.
        let screen = try onATerminal("timeout --preserve-status -s INT 3 \(Upturn.binary) play \(plan) --device pulse", name: "background")
        XCTAssertTrue(screen.contains("left in step"), screen)
        XCTAssertTrue(screen.contains("upturn exit 0"), screen)
        // Asked for the keyboard there, it says why it cannot have it, before any sound.
        let asked = try onATerminal("timeout -s INT 20 \(Upturn.binary) play \(plan) --device pulse --controls keyboard", name: "background-keys")
        XCTAssertTrue(asked.contains("keyboard control needs upturn in the terminal's foreground"), asked)
        XCTAssertTrue(asked.contains("upturn exit 64"), asked)
    }
}
