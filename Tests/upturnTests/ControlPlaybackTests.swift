import Foundation
import XCTest

/// Controls driving real sessions on the PulseAudio bed, recorded from the null sink.
final class ControlPlaybackTests: PulseBedTestCase {
    /// Runs of silence (|s| < 64) at least `minimum` seconds long, between the first and last sound.
    func silences(_ samples: [Int16], minimum: Double) -> [Double] {
        guard let first = samples.firstIndex(where: { abs(Int($0)) >= 64 }),
            let last = samples.lastIndex(where: { abs(Int($0)) >= 64 })
        else { return [] }
        var runs: [Double] = []
        var start: Int?
        for i in first...last {
            if abs(Int(samples[i])) < 64 {
                if start == nil { start = i }
            } else if let s = start {
                if Double(i - s) / 48_000 >= minimum { runs.append(Double(i - s) / 48_000) }
                start = nil
            }
        }
        return runs
    }

    static let talk = """
        {title: "Talk", steps: [
          {say: "One. Lie back against the table and let your arms rest at your sides, breathing slowly and calmly."},
          {say: "Two. Keep your ankles locked, your chin relaxed, and your shoulders soft against the table."},
          {say: "Three. Feel your back lengthen a little with every slow breath out, and never push into pain."},
        ]}
        """

    func testPauseSilencesAndResumeSpeaksAgain() throws {
        let plan = Upturn.write("talk.json5", Self.talk)
        let recording = try startRecording("pause.raw")
        let player = try Upturn.start(["play", plan, "--device", "pulse", "--controls", "socket", "--socket", socket], environment: environment)
        try waitForStatus { ($0["step"] as? Int) == 1 && ($0["position"] as? Double ?? 0) > 6 }
        try ctl("pause")
        let paused = try waitForStatus(timeout: 5) { $0["paused"] as? Bool == true }
        XCTAssertEqual(paused["step"] as? Int, 1)
        sleep(3)
        try ctl("resume")
        try waitForStatus { ($0["step"] as? Int) == 2 }
        try ctl("stop")
        let result = Upturn.finish(player, timeout: 20)
        usleep(300_000)
        let samples = try stopRecording(recording)
        XCTAssertEqual(result.status, 0, result.stderr)
        // Continuous talk has short gaps only; the pause leaves one long silence, then sound.
        let long = silences(samples, minimum: 1.2)
        XCTAssertEqual(long.count, 1, "silences: \(long)")
        XCTAssertEqual(long.first ?? 0, 2.4, accuracy: 0.8)
    }

    func testSkipDuringAHoldPlaysTheNextStepAtOnce() throws {
        let plan = Upturn.write(
            "skip.json5", "{title: 'Skip', steps: [{tilt: 20, settle: '1s'}, {hold: '1m', halfway: false, countdown: false}, {tilt: 0}]}")
        let recording = try startRecording("skip.raw")
        let player = try Upturn.start(["play", plan, "--device", "pulse", "--controls", "socket", "--socket", socket], environment: environment)
        let hold = try waitForStatus { ($0["title"] as? String) == "Hold" && ($0["step_left"] as? Double ?? 99) < 57 }
        XCTAssertEqual(hold["inverted"] as? Bool, true)
        try ctl("skip")
        try waitForStatus { ($0["title"] as? String) == "Return upright" }
        let result = Upturn.finish(player, timeout: 60)
        usleep(300_000)
        let samples = try stopRecording(recording)
        XCTAssertEqual(result.status, 0, result.stderr)
        // The hold's silence lasted about three seconds, not a minute: the next cue came at once.
        let long = silences(samples, minimum: 2)
        XCTAssertTrue(long.contains { $0 > 2 && $0 < 6 }, "silences: \(long)")
        XCTAssertFalse(long.contains { $0 > 20 }, "silences: \(long)")
    }

    func testFrozenForHalfASecondAndContinued() throws {
        let plan = Upturn.write("freeze.json5", Self.talk)
        let recording = try startRecording("freeze.raw")
        let player = try Upturn.start(["play", plan, "--device", "pulse", "--controls", "socket", "--socket", socket], environment: environment)
        try waitForStatus { ($0["step"] as? Int) == 1 && ($0["position"] as? Double ?? 0) > 6 }
        kill(player.0.processIdentifier, SIGSTOP)
        usleep(500_000)
        kill(player.0.processIdentifier, SIGCONT)
        let result = Upturn.finish(player, timeout: 60)
        usleep(300_000)
        let samples = try stopRecording(recording)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        // Every cue still played: the talk and the closing words are all there, with no long gap.
        let loud = Double(samples.filter { abs(Int($0)) >= 64 }.count) / 48_000
        XCTAssertGreaterThan(loud, 15)
        XCTAssertTrue(silences(samples, minimum: 1.5).isEmpty, "\(silences(samples, minimum: 1.5))")
    }

    func testSoundServerKilledAndRestarted() throws {
        let plan = Upturn.write("restart.json5", Self.talk)
        let runtime = environment["XDG_RUNTIME_DIR"]!
        let player = try Upturn.start(["play", plan, "--device", "pulse", "--controls", "socket", "--socket", socket], environment: environment)
        try waitForStatus { ($0["step"] as? Int) == 1 && ($0["position"] as? Double ?? 0) > 6 }
        let pid = try String(contentsOfFile: runtime + "/pulse/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        kill(pid_t(pid)!, SIGTERM)
        try waitForStatus { $0["audio_lost"] as? Bool == true }
        sleep(2)
        try startPulse()
        let recording = try startRecording("restart.raw", settle: false)
        try waitForStatus(timeout: 10) { $0["audio_lost"] as? Bool == false }
        let result = Upturn.finish(player, timeout: 60)
        usleep(300_000)
        let samples = try stopRecording(recording)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("audio device 'pulse' was lost"), result.stderr)
        XCTAssertTrue(result.stderr.contains("audio is back"), result.stderr)
        // After the return: "Audio is back", the cut sentence again from its start, the rest.
        let loud = Double(samples.filter { abs(Int($0)) >= 64 }.count) / 48_000
        XCTAssertGreaterThan(loud, 8, "too little heard after the sound server came back")
    }

    func testAPedalDrivesASession() throws {
        let plan = Upturn.write(
            "pedal.json5", "{title: 'Pedal', steps: [{tilt: 20, settle: '1s'}, {hold: '1m', halfway: false, countdown: false}, {tilt: 0}, {rest: '1m'}]}")
        let fifo = Upturn.file("pedal-\(UUID().uuidString.prefix(6))")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let player = try Upturn.start(
            ["play", plan, "--device", "pulse", "--controls", "evdev:\(fifo),socket", "--socket", socket], environment: environment)
        let writer = open(fifo, O_WRONLY)
        defer { close(writer) }
        func press(_ code: UInt16, hold: Double = 0.05) {
            for value: Int32 in [1, 0] {
                let bytes = pedalRecord(code: code, value: value)
                _ = bytes.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
                if value == 1 { usleep(useconds_t(hold * 1_000_000)) }
            }
        }
        try waitForStatus { ($0["title"] as? String) == "Hold" }
        press(109)  // Page Down: skip
        try waitForStatus { ($0["title"] as? String) == "Return upright" }
        press(57)  // Space: pause
        try waitForStatus { $0["paused"] as? Bool == true }
        press(57)  // Space: resume
        try waitForStatus { $0["paused"] as? Bool == false }
        press(104)  // Page Up: back to the start of this step
        press(1)  // Escape: stop
        let result = Upturn.finish(player, timeout: 30)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testTheKeyboardDrivesASession() throws {
        let plan = Upturn.write("keys.json5", "{title: 'Keys', steps: [{rest: '1m'}, {rest: '1m'}, {rest: '1m'}]}")
        let command = "\(Upturn.binary) play \(plan) --device pulse --controls keyboard,socket --socket \(socket)"
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        // The same shell wherever the tests run (`script` runs $SHELL): the player is in the
        // terminal's foreground process group either way, but the test should not depend on it.
        var env = Upturn.baseEnvironment.merging(environment) { _, new in new }
        env["SHELL"] = "/bin/sh"
        let process = try Child("/usr/bin/script", ["-qfec", command, "/dev/null"], environment: env, stdinFD: fds[0])
        close(fds[0])
        defer { close(fds[1]) }
        func type(_ text: String) { _ = text.utf8CString.withUnsafeBufferPointer { write(fds[1], $0.baseAddress, text.utf8.count) } }
        try waitForStatus { ($0["step"] as? Int) == 1 }
        type("n")
        try waitForStatus { ($0["step"] as? Int) == 2 }
        type(" ")
        try waitForStatus { $0["paused"] as? Bool == true }
        type("q")
        XCTAssertTrue(process.finish(timeout: 20), "q did not stop the player")
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testABusySocketIsNotStolen() throws {
        let plan = Upturn.write("busy.json5", "{title: 'Busy', steps: [{rest: '1m'}]}")
        let first = try Upturn.start(["play", plan, "--device", "pulse", "--controls", "socket", "--socket", socket], environment: environment)
        try waitForStatus { ($0["step"] as? Int) == 1 }
        let second = try Upturn.run(["play", plan, "--device", "null", "--controls", "socket", "--socket", socket])
        XCTAssertEqual(second.status, 69)
        XCTAssertTrue(second.stderr.contains("another player is using the control socket"), second.stderr)
        // The first player goes on, and still answers.
        try waitForStatus { ($0["step"] as? Int) == 1 }
        try ctl("stop")
        XCTAssertEqual(Upturn.finish(first, timeout: 20).status, 0)
    }
}

func pedalRecord(code: UInt16, value: Int32) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: MemoryLayout<timeval>.size)
    bytes += [1, 0, UInt8(code & 0xFF), UInt8(code >> 8)]
    let v = UInt32(bitPattern: value)
    bytes += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    return bytes
}

extension ControlPlaybackTests {
    func testSignalsSkipAndToggle() throws {
        let plan = Upturn.write("signals.json5", "{title: 'Signals', steps: [{rest: '1m'}, {rest: '1m'}]}")
        let player = try Upturn.start(["play", plan, "--device", "pulse", "--controls", "socket", "--socket", socket], environment: environment)
        try waitForStatus { ($0["step"] as? Int) == 1 }
        kill(player.0.processIdentifier, SIGUSR2)
        try waitForStatus { ($0["step"] as? Int) == 2 }
        kill(player.0.processIdentifier, SIGUSR1)
        try waitForStatus { $0["paused"] as? Bool == true }
        kill(player.0.processIdentifier, SIGUSR1)
        try waitForStatus { $0["paused"] as? Bool == false }
        kill(player.0.processIdentifier, SIGINT)
        let result = Upturn.finish(player, timeout: 20)
        XCTAssertEqual(result.status, 0, result.stderr)
    }
}
