import Foundation
import XCTest

/// Real audio, two ways: ALSA's file plugin (every frame written through the real ALSA API,
/// unpaced) and a PulseAudio null sink through ALSA's pulse plugin (real time).
final class PlaybackTests: XCTestCase {
    /// At or above this (about -54 dBFS) a sample is audible.
    static let audible: Int16 = 64

    func testRenderOfFullHasEveryCueOnTime() throws {
        let output = Upturn.file("full.wav")
        let render = try Upturn.run(["render", "full", "--output", output])
        XCTAssertEqual(render.status, 0, render.stderr)
        XCTAssertEqual(render.stderr, "")
        let (frames, events) = try showJSON("full")
        let (rate, samples) = try readWAV(output)
        XCTAssertEqual(rate, 48_000)
        XCTAssertEqual(samples.count, frames)
        let window = rate * 5 / 1000
        var checked = 0
        for event in events where event["kind"] as? String != "step" {
            let frame = try XCTUnwrap(event["frame"] as? Int)
            let onset = samples[frame..<min(samples.count, frame + window + 1)].firstIndex { abs(Int($0)) >= Int(Self.audible) }
            XCTAssertNotNil(onset, "\(event["key"] ?? "") at \(frame) is not audible within 5 ms")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 100)
        // Speech starts no earlier than its frame: the lead-in before the first cue is silent.
        let first = try XCTUnwrap(events.first { $0["kind"] as? String == "speech" }?["frame"] as? Int)
        XCTAssertTrue(samples[0..<first].allSatisfy { $0 == 0 })
    }

    func testPlayThroughTheFilePluginEqualsRender() throws {
        let rendered = Upturn.file("ft-render.wav")
        let played = Upturn.file("ft-play.wav")
        XCTAssertEqual(try Upturn.run(["render", "first-time", "--output", rendered]).status, 0)
        let play = try Upturn.run(["play", "first-time", "--device", "file:FILE=\(played),FORMAT=wav"], timeout: 60)
        XCTAssertEqual(play.status, 0, play.stderr)
        XCTAssertEqual(play.stderr, "", "without a terminal, play prints nothing but errors")
        let a = try readWAV(rendered)
        let b = try readWAV(played)
        XCTAssertEqual(a.rate, b.rate)
        XCTAssertEqual(a.samples.count, b.samples.count)
        XCTAssertTrue(a.samples == b.samples, "the frames written to ALSA differ from the render")
    }

    /// With an empty prompt cache the session is made while its lead-in plays: still the
    /// same frames as a render, sample for sample (and with the keep-alive tone, too).
    func testPlayWithAnEmptyCacheEqualsRender() throws {
        for (name, extra) in [("plain", [String]()), ("alive", ["--keep-alive"])] {
            let rendered = Upturn.file("cold-\(name)-render.wav"), played = Upturn.file("cold-\(name)-play.wav")
            let renderCache = Upturn.file("cold-\(name)-cache-render-\(UUID().uuidString.prefix(6))")
            let playCache = Upturn.file("cold-\(name)-cache-play-\(UUID().uuidString.prefix(6))")
            let render = try Upturn.run(["render", "stretch", "--output", rendered], environment: ["XDG_CACHE_HOME": renderCache])
            XCTAssertEqual(render.status, 0, render.stderr)
            let play = try Upturn.run(
                ["play", "stretch", "--controls", "none", "--device", "file:FILE=\(played),FORMAT=wav"] + extra,
                environment: ["XDG_CACHE_HOME": playCache], timeout: 60)
            XCTAssertEqual(play.status, 0, play.stderr)
            var (a, b) = (try readWAV(rendered).samples, try readWAV(played).samples)
            if name == "alive" {
                // The tone is the only difference: take it out of the played frames.
                a = a.indices.map { i in a[i] &+ Int16((sin(2 * Double.pi * Double(i % 2400) / 2400) * 10).rounded()) }
            }
            XCTAssertEqual(a.count, b.count, name)
            XCTAssertTrue(a == b, "\(name): the frames played with a cold cache differ from the render")
        }
    }

    func testPlayVolumeScales() throws {
        let full = Upturn.file("v100.wav"), half = Upturn.file("v50.wav")
        let plan = Upturn.write("short.json5", "{title: 'Short', steps: [{say: 'Halfway there.'}]}")
        XCTAssertEqual(try Upturn.run(["play", plan, "--device", "file:FILE=\(full),FORMAT=wav"]).status, 0)
        XCTAssertEqual(try Upturn.run(["play", plan, "--volume", "50", "--device", "file:FILE=\(half),FORMAT=wav"]).status, 0)
        let a = try readWAV(full).samples, b = try readWAV(half).samples
        XCTAssertEqual(a.count, b.count)
        let peakA = a.map { abs(Int($0)) }.max()!, peakB = b.map { abs(Int($0)) }.max()!
        XCTAssertEqual(Double(peakB), Double(peakA) / 2, accuracy: 2)
    }

    func testSayToAFile() throws {
        let output = Upturn.file("say.wav")
        let result = try Upturn.run(["say", "Tilt back slowly to thirty degrees.", "--output", output])
        XCTAssertEqual(result.status, 0, result.stderr)
        let (rate, samples) = try readWAV(output)
        XCTAssertEqual(rate, 48_000)
        XCTAssertGreaterThan(samples.filter { abs(Int($0)) >= 1000 }.count, 10_000)
        XCTAssertTrue(samples.prefix(rate / 50).allSatisfy { $0 == 0 })
    }

    func testRenderAtAnotherRate() throws {
        let output = Upturn.file("r44.wav")
        XCTAssertEqual(try Upturn.run(["render", "core", "--rate", "44100", "--output", output]).status, 0)
        let (frames, _) = try showJSON("core", extra: ["--rate", "44100"])
        let (rate, samples) = try readWAV(output)
        XCTAssertEqual(rate, 44_100)
        XCTAssertEqual(samples.count, frames)
    }
}

extension PlaybackTests {
    func testKeepAliveIsAnInaudibleToneInsteadOfZeros() throws {
        let plan = Upturn.write("alive.json5", "{title: 'Alive', steps: [{rest: '5s'}]}")
        let plain = Upturn.file("plain.wav"), alive = Upturn.file("alive.wav")
        XCTAssertEqual(try Upturn.run(["play", plan, "--device", "file:FILE=\(plain),FORMAT=wav"]).status, 0)
        XCTAssertEqual(try Upturn.run(["play", plan, "--keep-alive", "--device", "file:FILE=\(alive),FORMAT=wav"]).status, 0)
        let a = try readWAV(plain).samples, b = try readWAV(alive).samples
        XCTAssertEqual(a.count, b.count)
        XCTAssertTrue(a.prefix(10_000).allSatisfy { $0 == 0 })
        XCTAssertEqual(b.prefix(10_000).filter { $0 != 0 }.count, 10_000, accuracy: 1000)
        XCTAssertLessThanOrEqual(b.prefix(10_000).map { abs(Int($0)) }.max()!, 10)
        // Under the cues, the tone adds at most its own tiny level.
        XCTAssertLessThanOrEqual(zip(a, b).map { abs(Int($0) - Int($1)) }.max()!, 10)
    }
}

/// The history journal, written by `play`.
final class HistoryTests: XCTestCase {
    func historyJSON(_ data: String) throws -> [String: Any] {
        let result = try Upturn.run(["history", "--json"], environment: ["XDG_DATA_HOME": data])
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// A closed stderr (a pipe whose reader left, as when an SSH session drops) never kills
    /// a session: its log lines are lost, the session plays to its end.
    func testABrokenStderrDoesNotKillTheSession() throws {
        let out = Upturn.file("broken-stderr.wav")
        let data = Upturn.file("data-\(UUID().uuidString.prefix(6))")
        // --alone logs a line at each check-in; stdout and stderr go to a pipe closed at once.
        let script = "set -o pipefail; \"$0\" play stretch --alone --controls none --device file:FILE=\(out),FORMAT=wav 2>&1 | true"
        var environment = Upturn.baseEnvironment
        environment["XDG_DATA_HOME"] = data
        let status = try Child.run("/bin/bash", ["-c", script, Upturn.binary], environment: environment, timeout: 60)
        XCTAssertEqual(status, 0, "killed by SIGPIPE (141) or a trap (132) before")
        let history = try historyJSON(data)
        let sessions = try XCTUnwrap(history["sessions"] as? [[String: Any]])
        XCTAssertEqual(sessions.first?["ended"] as? String, "no answer to a check-in")
    }

    /// `history` over a journal with numbers out of range: each bad line is skipped with a
    /// warning, never fatal (it trapped in `Int(Double)` before).
    func testHistorySkipsNumbersOutOfRange() throws {
        let data = Upturn.file("data-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: data + "/upturn", withIntermediateDirectories: true)
        var text = ""
        for (i, field) in ["\"inverted_seconds\": 1e16", "\"inverted_seconds\": 1e300", "\"inverted_seconds\": -1e19"].enumerated() {
            text += "{\"v\": 1, \"event\": \"start\", \"id\": \"s\(i)\", \"start\": \"2026-01-01T07:00:00Z\", \"plan\": \"core\", \"steps\": 4}\n"
            text += "{\"v\": 1, \"event\": \"end\", \"id\": \"s\(i)\", \"ended\": \"finished\", \(field)}\n"
        }
        FileManager.default.createFile(atPath: data + "/upturn/history.jsonl", contents: Data(text.utf8))
        for arguments in [["history"], ["history", "--json"]] {
            let result = try Upturn.run(arguments, environment: ["XDG_DATA_HOME": data])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stderr.contains("skipped 3 lines that could not be read"), result.stderr)
        }
    }

    func testPlayWritesAFinishedSession() throws {
        let data = Upturn.file("data-\(UUID().uuidString.prefix(6))")
        let out = Upturn.file("hist.wav")
        let play = try Upturn.run(["play", "first-time", "--controls", "none", "--device", "file:FILE=\(out),FORMAT=wav"], environment: ["XDG_DATA_HOME": data])
        XCTAssertEqual(play.status, 0, play.stderr)
        let history = try historyJSON(data)
        let sessions = try XCTUnwrap(history["sessions"] as? [[String: Any]])
        XCTAssertEqual(sessions.count, 1)
        XCTAssertEqual(sessions[0]["ended"] as? String, "finished")
        XCTAssertEqual(sessions[0]["plan"] as? String, "first-time")
        XCTAssertEqual(sessions[0]["steps_done"] as? Int, 11)
        XCTAssertEqual(sessions[0]["highest_angle"] as? Int, 30)
        XCTAssertGreaterThan(sessions[0]["inverted_seconds"] as? Double ?? 0, 120)
        let text = try Upturn.run(["history"], environment: ["XDG_DATA_HOME": data])
        XCTAssertTrue(text.stdout.contains("first-time  finished, 11/11 steps"), text.stdout)
        XCTAssertTrue(text.stdout.contains("1 session this week"), text.stdout)
        XCTAssertEqual(try Upturn.run(["history", "--since", "yesterday"]).status, 64)
    }

    func testKillingThePlayerAtRandomMomentsLeavesTheJournalReadable() throws {
        let data = Upturn.file("data-\(UUID().uuidString.prefix(6))")
        let plan = Upturn.write("kill.json5", "{title: 'Kill', steps: [{tilt: 20, settle: '1s'}, {hold: '2m'}, {tilt: 0}]}")
        for round in 0..<8 {
            let started = try Upturn.start(
                ["play", plan, "--controls", "none", "--device", "file:FILE=\(Upturn.file("kill.wav")),FORMAT=wav"],
                environment: ["XDG_DATA_HOME": data])
            usleep(useconds_t(UInt32.random(in: 0...250_000)))
            kill(started.0.processIdentifier, SIGKILL)
            _ = Upturn.finish(started, timeout: 20)
            _ = round
        }
        let history = try historyJSON(data)
        let sessions = try XCTUnwrap(history["sessions"] as? [[String: Any]])
        XCTAssertLessThanOrEqual(sessions.count, 8)
        for session in sessions {
            XCTAssertTrue(["finished", "killed"].contains(session["ended"] as? String ?? ""), "\(session)")
        }
    }
}

extension HistoryTests {
    func testTheFirstSessionOfANewHistoryOpensWithTheSafetyPreamble() throws {
        let data = Upturn.file("data-\(UUID().uuidString.prefix(6))")
        let plan = Upturn.write("short-first.json5", "{title: 'Short', steps: [{say: 'Hello.'}]}")
        let first = Upturn.file("first.wav"), second = Upturn.file("second.wav")
        for out in [first, second] {
            let result = try Upturn.run(["play", plan, "--controls", "none", "--device", "file:FILE=\(out),FORMAT=wav"], environment: ["XDG_DATA_HOME": data])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        // The preamble is about fifteen seconds of speech: only the first session has it.
        let a = try readWAV(first).samples.count, b = try readWAV(second).samples.count
        XCTAssertGreaterThan(a - b, 48_000 * 8)
    }
}
