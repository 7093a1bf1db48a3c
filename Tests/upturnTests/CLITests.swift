import Foundation
import XCTest

/// The command line contract: words, exit codes, one-line errors, and no input that traps.
final class CLITests: XCTestCase {
    func assertNoCrash(_ result: CommandResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(result.exited, "died of a signal: \(result.stderr)", file: file, line: line)
        for word in ["Fatal error", "Stack dump", "Backtrace", "Current stack trace", "0x0000"] {
            XCTAssertFalse(result.stderr.contains(word), result.stderr, file: file, line: line)
        }
    }

    func testHelpVersionAndPrograms() throws {
        let help = try Upturn.run(["--help"])
        XCTAssertEqual(help.status, 0)
        for word in ["play", "render", "show", "check", "programs", "say", "voices", "devices"] {
            XCTAssertTrue(help.stdout.contains("  \(word)"), word)
        }
        XCTAssertTrue(try Upturn.run(["--version"]).stdout.hasPrefix("upturn "))
        for command in ["play", "render", "show", "check", "programs", "say", "voices", "devices", "serve", "history", "ctl"] {
            let result = try Upturn.run([command, "--help"])
            XCTAssertEqual(result.status, 0, command)
            XCTAssertTrue(result.stdout.hasPrefix("usage: upturn \(command)"), command)
        }
        let programs = try Upturn.run(["programs"])
        XCTAssertEqual(programs.stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) }, ["first-time", "stretch", "core", "full", "today"])
    }

    /// A render longer than a WAV file holds (3.5 hours at 192 kHz is 4.8 GB) is refused
    /// before anything is written: its sizes wrapped before, and the header lied.
    func testPairedPhonesAreListedAndForgottenAndBadWordsSaySo() throws {
        let config = Upturn.file("web-cli-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: config + "/upturn", withIntermediateDirectories: true)
        let token = String(repeating: "a", count: 64)
        FileManager.default.createFile(
            atPath: config + "/upturn/web-devices.jsonl",
            contents: Data("{\"name\": \"Pixel\", \"token\": \"\(token)\", \"paired\": \"2026-12-01T08:00:00Z\"}\n".utf8))
        let env = ["XDG_CONFIG_HOME": config]
        let listed = try Upturn.run(["web", "devices"], environment: env)
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertEqual(listed.stdout, "Pixel  paired 2026-12-01T08:00:00Z\n", "one line a phone (a tab came out as \\x09)")
        XCTAssertFalse(listed.stdout.contains(token), "the token is never printed")
        let missing = try Upturn.run(["web", "forget", "Pixle"], environment: env)
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr, "upturn: no paired phone named 'Pixle'; `upturn web devices` lists them\n")
        let forgot = try Upturn.run(["web", "forget", "Pixel"], environment: env)
        XCTAssertEqual(forgot.status, 0, forgot.stderr)
        XCTAssertEqual(try Upturn.run(["web", "devices"], environment: env).stdout, "no paired phones (pair one from the page: upturn serve --web)\n")
        let unknown = try Upturn.run(["web", "pair"], environment: env)
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("usage: upturn web devices | upturn web forget NAME (not 'pair')"), unknown.stderr)
        let address = try Upturn.run(["serve", "--web", "box.local:80"], environment: env)
        XCTAssertEqual(address.status, 64)
        XCTAssertTrue(address.stderr.contains("--web: 'box.local:80' is not [ADDR][:PORT]"), address.stderr)
        let alone = try Upturn.run(["serve", "--web", ":0", "--web-cert", "/nowhere/cert.pem"], environment: env)
        XCTAssertEqual(alone.status, 64)
        XCTAssertEqual(alone.stderr, "upturn: serve: --web-cert and --web-key go together (a certificate and its key)\n")
        let unread = try Upturn.run(["serve", "--web", ":0", "--web-cert", "/nowhere/cert.pem", "--web-key", "/nowhere/key.pem"], environment: env)
        XCTAssertEqual(unread.status, 66)
        XCTAssertTrue(unread.stderr.hasPrefix("upturn: /nowhere/cert.pem: "), unread.stderr)
        let notPEM = Upturn.write("cert.pem", "not a certificate\n")
        let wrong = try Upturn.run(["serve", "--web", ":0", "--web-cert", notPEM, "--web-key", notPEM], environment: env)
        XCTAssertEqual(wrong.status, 65)
        XCTAssertEqual(wrong.stderr, "\(notPEM):1:1: not a certificate in PEM ('-----BEGIN CERTIFICATE-----' expected)\n")
    }

    func testARenderOverFourGiBIsRefused() throws {
        let rests = Array(repeating: "{rest: '30m'}", count: 7).joined(separator: ", ")
        let plan = Upturn.write("long.json5", "{title: 'Long', steps: [\(rests)]}")
        let out = Upturn.file("long.wav")
        let result = try Upturn.run(["render", plan, "--rate", "192000", "--output", out])
        assertNoCrash(result)
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("more than a WAV file holds (4 GiB); use a lower --rate"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// Escape codes in a plan's title or a file's name are printed escaped, never sent raw
    /// to the terminal (`\e[2J` cleared the screen); a file name that is not UTF-8 is refused.
    func testControlCharactersNeverReachTheTerminalRaw() throws {
        let plan = Upturn.write("escape.json5", "{title: 'Clear\\u001b[2J', steps: [{say: 'Hi\\u0007 there', title: 'Bell\\u001b]0;x\\u0007'}]}")
        let show = try Upturn.run(["show", plan])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertFalse(show.stdout.contains("\u{1B}") || show.stdout.contains("\u{7}"), show.stdout)
        XCTAssertTrue(show.stdout.contains("Clear\\x1B[2J"), show.stdout)
        let named = Upturn.write("bad\u{1B}[2Jname.json5", "{title: 'x'")
        let check = try Upturn.run(["check", named])
        XCTAssertEqual(check.status, 65)
        XCTAssertFalse(check.stderr.contains("\u{1B}"), check.stderr)
        XCTAssertTrue(check.stderr.contains("bad\\x1B[2Jname.json5:"), check.stderr)
        let notUTF8 = try Child.run("/bin/bash", ["-c", "\"$0\" show $'\\xff\\xfe.json5' 2>/dev/null", Upturn.binary], environment: Upturn.baseEnvironment)
        XCTAssertEqual(notUTF8, 64)
    }

    /// A session bus address that points nowhere is one line on stderr; the session plays.
    func testMPRISWithoutAReachableBusIsOneLine() throws {
        let out = Upturn.file("mpris-nowhere.wav")
        let result = try Upturn.run(
            ["play", "first-time", "--controls", "mpris", "--device", "file:FILE=\(out),FORMAT=wav"],
            environment: ["DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"])
        assertNoCrash(result)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").filter { $0.contains("mpris") }.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("mpris: no D-Bus session bus; going on without it"), result.stderr)
        XCTAssertGreaterThan(try readWAV(out).samples.count, 48_000 * 60, "the session played")
    }

    func testProgramsPrintIsATemplateThatChecks() throws {
        let printed = try Upturn.run(["programs", "--print", "core"])
        XCTAssertEqual(printed.status, 0)
        let path = Upturn.write("core-copy.json5", printed.stdout)
        let check = try Upturn.run(["check", path])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertEqual(check.stdout, "\(path): ok\n")
        let missing = try Upturn.run(["programs", "--print", "cor"])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.stderr.contains("did you mean 'core'"), missing.stderr)
    }

    func testUsageErrorsAre64InOneLine() throws {
        for (arguments, words) in [
            (["dance"], "unknown command 'dance'"),
            (["play", "--devise", "x"], "did you mean '--device'"),
            (["play", "--volume", "500"], "--volume takes a whole number from 0 to 100"),
            (["render", "core"], "--output FILE.wav is required"),
            (["show", "core", "extra"], "unexpected 'extra'"),
            (["check"], "name at least one"),
            (["play", "--rate"], "--rate needs a value"),
        ] {
            let result = try Upturn.run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(words), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertEqual(result.stdout, "")
        }
    }

    func testMissingPlanIs66() throws {
        let missing = try Upturn.run(["show", "/no/such/plan.json5"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr, "upturn: /no/such/plan.json5: cannot read plan: No such file or directory\n")
        let unknown = try Upturn.run(["show", "strech"])
        XCTAssertEqual(unknown.status, 66)
        XCTAssertTrue(unknown.stderr.contains("did you mean 'stretch'"), unknown.stderr)
        let folder = try Upturn.run(["render", Upturn.scratch, "--output", Upturn.file("x.wav")])
        XCTAssertEqual(folder.status, 66, folder.stderr)
    }

    func testBadPlanIs65WithEveryProblemPlaced() throws {
        let path = Upturn.write("bad.json5", "{\n  title: 'Bad',\n  steps: [\n    {tilt: 200},\n    {hold: 'forever'},\n  ],\n}\n")
        let result = try Upturn.run(["play", path, "--device", "null"])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(
            result.stderr,
            "\(path):4:12: steps[0].tilt: must be a whole number from 0 to 90 degrees\n\(path):5:12: steps[1].hold: not a duration; write it as 90, \"90s\", \"2m\" or \"1m30s\"\n"
        )
        let syntax = Upturn.write("syntax.json5", "{\n  title: 'x',\n  steps: [{say: 'a'}}\n")
        let bad = try Upturn.run(["check", syntax])
        XCTAssertEqual(bad.status, 65)
        XCTAssertEqual(bad.stderr, "\(syntax):3:21: expected ',' or ']' after a value, found '}'\n")
    }

    func testGarbageNeverTrapsOrHangs() throws {
        var random = SystemRandomNumberGenerator()
        let inputs: [(String, [UInt8])] = [
            ("empty", []),
            ("utf8", [0x7B, 0x61, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D]),
            ("deep", Array(String(repeating: "{a:[", count: 50_000).utf8)),
            ("huge-string", Array(("{title: '" + String(repeating: "é", count: 300_000) + "', steps: []}").utf8)),
            ("wrong-types", Array("{title: [1], steps: {a: 1}, preamble: 'yes', maxInverted: -1}".utf8)),
            ("numbers", Array("{title: 'x', steps: [{hold: 1e308}, {reps: NaN}, {tilt: -Infinity}, {rest: 0x7FFFFFFFFFFFFFFF}]}".utf8)),
            ("nul", Array("{title: 'a\u{0}b', steps: [{say: '\u{0}'}]}".utf8)),
            ("binary", (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }),
        ]
        for (name, bytes) in inputs {
            let path = Upturn.write("garbage-\(name).json5", bytes: bytes)
            for command in [["check", path], ["show", path], ["render", path, "--output", Upturn.file("g.wav")]] {
                let result = try Upturn.run(command, timeout: 30)
                assertNoCrash(result)
                XCTAssertEqual(result.status, 65, "\(name) \(command[0]): \(result.stderr)")
                XCTAssertTrue(result.stderr.hasPrefix(path + ":"), "\(name): \(result.stderr)")
                XCTAssertFalse(result.stderr.isEmpty)
            }
        }
    }

    /// Same inputs, same output, from any cache state: a clip re-made alone equals the one
    /// made in the cold batch (issue 18: the welcome came out 44 ms shorter).
    func testARenderIsTheSameFromAnyCacheState() throws {
        let cache = Upturn.file("any-cache-\(UUID().uuidString.prefix(6))")
        let env = ["XDG_CACHE_HOME": cache]
        let first = Upturn.file("any-cache-1.wav"), second = Upturn.file("any-cache-2.wav")
        XCTAssertEqual(try Upturn.run(["render", "first-time", "--output", first], environment: env).status, 0)
        let clips = try FileManager.default.contentsOfDirectory(atPath: cache + "/upturn").filter { $0.hasSuffix(".clip") }.sorted()
        XCTAssertGreaterThan(clips.count, 5)
        for clip in clips.enumerated() where clip.offset % 3 == 0 { try FileManager.default.removeItem(atPath: cache + "/upturn/" + clip.element) }
        XCTAssertEqual(try Upturn.run(["render", "first-time", "--output", second], environment: env).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: first)), try Data(contentsOf: URL(fileURLWithPath: second)))
    }

    func testUnwritableOutputIs73() throws {
        let result = try Upturn.run(["render", "first-time", "--output", "/no/such/dir/out.wav"])
        XCTAssertEqual(result.status, 73)
        XCTAssertEqual(result.stderr, "upturn: /no/such/dir/out.wav: cannot write: No such file or directory\n")
    }

    func testAnUnusableCacheIsAWarningAndTheSessionStillRenders() throws {
        let notAFolder = Upturn.write("cache-is-a-file", "")
        let output = Upturn.file("no-cache.wav")
        let result = try Upturn.run(["render", "first-time", "--output", output], environment: ["XDG_CACHE_HOME": notAFolder])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(
            result.stderr,
            "upturn: warning: \(notAFolder)/upturn: cannot keep spoken cues there (Not a directory); they are made again on every run\n")
        XCTAssertGreaterThan(try readWAV(output).samples.count, 48_000 * 60)
    }

    func testNoAudioDeviceIs69InOneLine() throws {
        let result = try Upturn.run(["play", "first-time", "--device", "hw:77"])
        assertNoCrash(result)
        XCTAssertEqual(result.status, 69)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("'hw:77'"), result.stderr)
        XCTAssertTrue(result.stderr.contains("upturn render"), result.stderr)
    }

    func testMissingVoiceIs69WithCloseMatches() throws {
        let result = try Upturn.run(["say", "hello", "--voice", "en-uss", "--output", Upturn.file("v.wav")])
        XCTAssertEqual(result.status, 69, result.stderr)
        XCTAssertTrue(result.stderr.contains("no espeak-ng voice 'en-uss'; close matches:"), result.stderr)
        XCTAssertTrue(result.stderr.contains("en-us"), result.stderr)
    }

    func testCheckReportsEachFile() throws {
        let good = Upturn.write("good.json5", "{title: 'Good', steps: [{tilt: 20}, {hold: '1m'}, {tilt: 0}]}")
        let capped = Upturn.write("capped.json5", "{title: 'Long', steps: [{tilt: 20}, {hold: '10m'}, {tilt: 0}]}")
        let result = try Upturn.run(["check", good, capped, "/no/such.json5"])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(result.stdout, "\(good): ok\n")
        XCTAssertTrue(result.stderr.contains("\(capped): steps[0]...steps[2]: inverted for"), result.stderr)
        XCTAssertTrue(result.stderr.contains("/no/such.json5: cannot read plan"), result.stderr)
        let onlyMissing = try Upturn.run(["check", "/no/such.json5"])
        XCTAssertEqual(onlyMissing.status, 66)
    }

    func testVoicesAndDevices() throws {
        let voices = try Upturn.run(["voices"])
        XCTAssertEqual(voices.status, 0)
        XCTAssertTrue(voices.stdout.split(separator: "\n").contains { $0.hasPrefix("en-us ") }, voices.stdout)
        let devices = try Upturn.run(["devices"])
        XCTAssertEqual(devices.status, 0, devices.stderr)
        XCTAssertTrue(devices.stdout.split(separator: "\n").contains { $0.hasPrefix("null") }, devices.stdout)
    }
}

/// Control errors: each one line with its exit code, before anything plays.
final class ControlErrorTests: XCTestCase {
    func testBadControlsAndCtl() throws {
        for (arguments, status, words) in [
            (["play", "core", "--device", "null", "--controls", "pedal"], Int32(64), "unknown control 'pedal'"),
            (["play", "core", "--device", "null", "--controls", "evdev:/dev/input/nope"], 66, "evdev:/dev/input/nope: no such input device"),
            (["play", "core", "--device", "null", "--controls", "evdev:/dev/null"], 69, "not an input device"),
            (["play", "core", "--device", "null", "--controls", "gpio:gpiochip7:17"], 66, "no GPIO chip at /dev/gpiochip7"),
            (["ctl", "jump"], 64, "unknown command 'jump'"),
            (["ctl", "pause", "--socket", "/no/such/control.sock"], 69, "no player is running"),
        ] as [([String], Int32, String)] {
            let result = try Upturn.run(arguments, timeout: 30)
            XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(words), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }
    }
}
