import Foundation
import XCTest

/// The companion page (`serve --web`) in a real browser: Debian's chromium at a phone's size,
/// driven by python3-selenium (`Tests/web/companion.py`), on the PulseAudio bed. The script
/// is the phone; this test starts the service, gives it a history to draw, and reads the
/// script's checks. Screenshots of each view are kept in `.build/test-artifacts/web`.
final class WebPageTests: PulseBedTestCase {
    lazy var data = Upturn.file("web-data-\(UUID().uuidString.prefix(6))")
    lazy var config = Upturn.file("web-config-\(UUID().uuidString.prefix(6))")

    func testAPhonePairsWritesAPlanStartsFollowsPausesAndStopsIt() throws {
        let tools = ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/python3", "/usr/bin/parec"]
        for tool in tools where !FileManager.default.isExecutableFile(atPath: tool) {
            if ProcessInfo.processInfo.environment["UPTURN_TEST_REQUIRE_BEDS"] == "1" { XCTFail("\(tool) is missing (Scripts/setup --test)") }
            throw XCTSkip("\(tool) is missing")
        }
        // A history to draw: four weeks of sessions.
        try FileManager.default.createDirectory(atPath: data + "/upturn", withIntermediateDirectories: true)
        var lines = ""
        for day in 0..<12 {
            let date = Date().addingTimeInterval(-Double(28 - day * 2) * 86_400)
            let stamp = ISO8601DateFormatter().string(from: date)
            lines += """
                {"v": 1, "event": "start", "id": "s\(day)", "start": "\(stamp)", "plan": "today", "title": "Stretch, level \(1 + day / 3)", "steps": 15, "level": \(1 + day / 3), "program": "stretch"}
                {"v": 1, "event": "end", "id": "s\(day)", "end": "\(stamp)", "steps_done": 15, "inverted_seconds": \(200 + day * 20), "highest_angle": \(20 + (day / 3) * 5), "ended": "finished"}

                """
        }
        // The last one measured by an angle sensor: its trace, a point a second.
        var angles: [Double] = []
        for i in 0..<90 { angles.append(i < 10 || i >= 80 ? -85 : 30 + Double(i % 3)) }
        let trace = angles.map { String($0) }.joined(separator: ",")
        let stamp = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-3_600))
        lines += """
            {"v": 1, "event": "start", "id": "m", "start": "\(stamp)", "plan": "stretch", "title": "Stretch", "steps": 15}
            {"v": 1, "event": "end", "id": "m", "end": "\(stamp)", "steps_done": 15, "inverted_seconds": 70, "highest_angle": 31, "ended": "finished", "angle_measured": true, "angle_trace": [\(trace)]}

            """
        FileManager.default.createFile(atPath: data + "/upturn/history.jsonl", contents: Data(lines.utf8))
        let env = environment.merging(["XDG_DATA_HOME": data, "XDG_CONFIG_HOME": config]) { _, new in new }

        // The closing cue's audible length: `say` makes the same clip from the same cache.
        let closing = Upturn.file("web-closing.wav")
        XCTAssertEqual(try Upturn.run(["say", "Slowly return upright. Take your time.", "--output", closing]).status, 0)
        let closingSamples = try readWAV(closing).samples.filter { abs(Int($0)) >= 64 }.count

        let serve = try Upturn.start(
            ["serve", "--device", "pulse", "--controls", "voice:mic,socket", "--socket", socket, "--web", "127.0.0.1:0"], environment: env)
        defer {
            serve.0.signal(SIGTERM)
            _ = Upturn.finish(serve, timeout: 30)
        }
        var port = ""
        let deadline = Date().addingTimeInterval(20)
        while port.isEmpty && Date() < deadline {
            let log = (try? String(contentsOfFile: serve.2, encoding: .utf8)) ?? ""
            port = log.firstMatch(of: /web on port (\d+)/).map { String($0.1) } ?? ""
            usleep(100_000)
        }
        XCTAssertFalse(port.isEmpty, "the service never said its port")
        try waitForStatus { $0["state"] as? String == "waiting" }

        let shots = (ProcessInfo.processInfo.environment["UPTURN_TEST_ARTIFACTS"] ?? Upturn.file("artifacts")) + "/web"
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("web/companion.py").path
        let output = Upturn.file("web-script.log")
        let status = try Child.run(
            "/usr/bin/python3",
            [script, "--url", "http://127.0.0.1:\(port)", "--log", serve.2, "--upturn", Upturn.binary, "--socket", socket, "--shots", shots,
             "--closing-samples", "\(closingSamples)"],
            environment: ProcessInfo.processInfo.environment.merging(env) { _, new in new }, stdout: output, timeout: 300)
        let report = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        print(report)
        XCTAssertEqual(status, 0, "the browser's checks:\n" + report)
        XCTAssertTrue(report.contains("all checks passed"), report)
        let log = (try? String(contentsOfFile: serve.2, encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains("web: paired Test phone"), log)
        XCTAssertTrue(log.contains("web: stop from Test phone"), log)
    }
}
