import Foundation
import XCTest

/// `upturn listen --enroll` (issue 19, item 6): the recognizer adapted to a voice from its
/// sixteen takes. espeak-ng's voice is the one pocketsphinx hears worst, so it shows the gain.
final class EnrolmentTests: XCTestCase {
    static let prompts = ["help", "stop stop", "upturn back", "upturn next", "upturn pause", "upturn resume", "upturn start", "upturn stop"]

    /// `phrases` said by espeak-ng's US voice at `speed` and `pitch`, `gain` dB, 1.5 s of a
    /// quiet room before each and after the last.
    func recording(_ phrases: [String], speed: Int, pitch: Int, gain: Int, name: String) throws -> String {
        let out = Upturn.file(name + ".wav")
        var parts: [String] = []
        for (index, phrase) in phrases.enumerated() {
            let raw = Upturn.file("\(name)-\(index)-raw.wav"), part = Upturn.file("\(name)-\(index).wav")
            XCTAssertEqual(try Child.run("/usr/bin/espeak-ng", ["-v", "en-us", "-s", "\(speed)", "-p", "\(pitch)", "-w", raw, phrase]), 0)
            XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", "-R", raw, "-r", "16000", "-b", "16", "-c", "1", part, "gain", "\(gain)"]), 0)
            parts.append(part)
        }
        let quiet = Upturn.file("enrol-quiet.wav")
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", "-R", "-n", "-r", "16000", "-b", "16", "-c", "1", quiet, "synth", "1.5", "pinknoise", "gain", "-65"]), 0)
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", "-R", quiet] + parts.flatMap { [$0, quiet] } + [out]), 0)
        return out
    }

    func heard(_ file: String, config: String, _ extra: [String] = []) throws -> (commands: [String], stderr: String) {
        let result = try Upturn.run(["listen", "--json", "--input", file] + extra, environment: ["XDG_CONFIG_HOME": config])
        XCTAssertEqual(result.status, 0, result.stderr)
        let commands = result.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["command"] as? String
        }
        return (commands, result.stderr)
    }

    /// Ten commands in espeak-ng's voice, at another speed and pitch than the enrolment:
    /// without it some are missed or wrong; enrolled, all ten are right, and kept for the
    /// next run; --no-enrolment and --forget hear as before.
    func testAnEnrolledVoiceIsHeardBetter() throws {
        let config = Upturn.file("enrol-config")
        try? FileManager.default.removeItem(atPath: config)
        let enrolment = try recording(Self.prompts + Self.prompts, speed: 160, pitch: 50, gain: -12, name: "enrol-takes")
        let said = ["pause", "resume", "next", "back", "stop", "stop", "pause", "back", "next", "resume"]
        let test = try recording(said.map { "upturn " + $0 }, speed: 145, pitch: 65, gain: -20, name: "enrol-test")
        let expected = said.map { $0 == "next" ? "skip" : $0 }

        let before = try heard(test, config: config).commands
        XCTAssertNotEqual(before, expected, "espeak-ng's voice is heard worse than this unenrolled")

        let enrol = try Upturn.run(["listen", "--enroll", "--input", enrolment], environment: ["XDG_CONFIG_HOME": config])
        XCTAssertEqual(enrol.status, 0, enrol.stderr)
        XCTAssertTrue(enrol.stderr.contains("enrolled from 16 takes"), enrol.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: config + "/upturn/voice/mllr_matrix"))
        var folder = stat()
        XCTAssertEqual(stat(config + "/upturn/voice", &folder), 0)
        XCTAssertEqual(folder.st_mode & 0o077, 0, "the voice enrolment's folder is the user's alone")
        let about = try String(contentsOfFile: config + "/upturn/voice/enrolment.json5", encoding: .utf8)
        XCTAssertTrue(about.contains("takes: 16"), about)

        let after = try heard(test, config: config)
        XCTAssertEqual(after.commands, expected)
        XCTAssertTrue(after.stderr.contains("using your voice enrolment"), after.stderr)
        XCTAssertEqual(try heard(test, config: config, ["--no-enrolment"]).commands, before)

        let forget = try Upturn.run(["listen", "--enroll", "--forget"], environment: ["XDG_CONFIG_HOME": config])
        XCTAssertEqual(forget.status, 0)
        XCTAssertTrue(forget.stderr.contains("removed"), forget.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: config + "/upturn/voice"))
        XCTAssertEqual(try heard(test, config: config).commands, before)
    }

    /// A recording that is not sixteen phrases, a missing program, a damaged transform and
    /// options that do not go together: one line each, the documented exit code, and nothing
    /// kept or lost.
    func testBadEnrolmentsAreOneLineAndKeepNothing() throws {
        let config = Upturn.file("enrol-bad-config")
        try? FileManager.default.removeItem(atPath: config)
        let env = ["XDG_CONFIG_HOME": config]
        let short = try recording(Array(Self.prompts.prefix(3)), speed: 160, pitch: 50, gain: -12, name: "enrol-short")
        var result = try Upturn.run(["listen", "--enroll", "--input", short], environment: env)
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("enrol-short.wav: heard 3 phrases; an enrolment is 16"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: config + "/upturn/voice"))

        let silent = Upturn.file("enrol-silent.wav")
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", "-n", "-r", "16000", "-b", "16", "-c", "1", silent, "trim", "0", "5"]), 0)
        result = try Upturn.run(["listen", "--enroll", "--input", silent], environment: env)
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("heard 0 phrases"), result.stderr)

        let takes = try recording(Self.prompts + Self.prompts, speed: 160, pitch: 50, gain: -12, name: "enrol-takes")
        result = try Upturn.run(["listen", "--enroll", "--input", takes], environment: env.merging(["PATH": "/nonexistent"]) { $1 })
        XCTAssertEqual(result.status, 69)
        XCTAssertTrue(result.stderr.contains("apt-get install sphinxtrain sphinxbase-utils pocketsphinx"), result.stderr)

        result = try Upturn.run(["listen", "--enroll", "--input", Upturn.file("no-such.wav")], environment: env)
        XCTAssertEqual(result.status, 66, result.stderr)

        for words in [["listen", "--enroll", "--json"], ["listen", "--forget"], ["listen", "--enroll", "--forget", "--input", takes],
                      ["listen", "--enroll", "--input", takes, "--reference", takes]] {
            result = try Upturn.run(words, environment: env)
            XCTAssertEqual(result.status, 64, "\(words): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        }

        // A damaged transform is never given to the decoder: one line, and heard without it.
        XCTAssertEqual(try Upturn.run(["listen", "--enroll", "--input", takes], environment: env).status, 0)
        let matrix = config + "/upturn/voice/mllr_matrix"
        FileManager.default.createFile(atPath: matrix, contents: Data("1\n3\n13\n0.5 nan\n".utf8))
        let command = try SpokenCommand.make("upturn stop", voice: "slt")
        let damaged = try heard(command, config: config)
        XCTAssertEqual(damaged.commands, ["stop"])
        XCTAssertTrue(damaged.stderr.contains("mllr_matrix: the voice enrolment is damaged; run `upturn listen --enroll` again"), damaged.stderr)
        // Made on another model: not used, and nothing said.
        let about = config + "/upturn/voice/enrolment.json5"
        FileManager.default.createFile(atPath: about, contents: Data("{model: '/elsewhere/en-us', takes: 16}".utf8))
        let other = try heard(command, config: config)
        XCTAssertEqual(other.commands, ["stop"])
        XCTAssertFalse(other.stderr.contains("enrolment"), other.stderr)
    }
}
