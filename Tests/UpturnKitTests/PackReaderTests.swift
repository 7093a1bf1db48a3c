import XCTest

@testable import UpturnKit

final class PackReaderTests: XCTestCase {
    func testTheDefaultPackHasEveryKeyAndSound() throws {
        let pack = try PackReader.builtinDefault()
        for key in CueKey.names { XCTAssertNotNil(pack.cues[key], key) }
        for sound in CueKey.soundNames { XCTAssertNotNil(pack.sounds[sound], sound) }
        XCTAssertEqual(pack.spokenDuration(milliseconds: 90_000), "1 minute 30 seconds")
        XCTAssertEqual(pack.spokenDuration(milliseconds: 120_000), "2 minutes")
        XCTAssertEqual(pack.spokenDuration(milliseconds: 1000), "1 second")
    }

    func testTheEmbeddedPackIsTheShippedFile() throws {
        let file = ShippedSoundsSource.folder + "/en/pack.json5"
        let onDisk = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        XCTAssertEqual(UpturnSoundsFile("en/pack.json5"), onDisk)
    }

    func problems(_ text: String, folder: String? = nil) -> [String] {
        let dir = folder ?? temporaryFolder()
        FileManager.default.createFile(atPath: dir + "/pack.json5", contents: Data(text.utf8))
        do {
            _ = try PackReader.read(folder: dir)
            return []
        } catch {
            XCTAssertEqual(error.code, .dataError)
            return error.problems
        }
    }

    func testEveryProblemWithAHint() {
        let found = problems(
            """
            {
              name: "x",
              voice: {name: "en", rate: 1000},
              cues: {
                "hold.halfwya": "Half.",
                "tilt.back": "Tilt to {angel} degrees.",
                "hold.end": "Open {brace",
              },
              sounds: {bel: "bell.wav"},
            }
            """)
        XCTAssertTrue(found.contains { $0.hasSuffix(":3:29: voice.rate: must be a whole number from 80 to 450 words per minute") }, "\(found)")
        XCTAssertTrue(found.contains { $0.hasSuffix(":5:5: cues: unknown cue key 'hold.halfwya' (did you mean 'hold.halfway'?)") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("cues.tilt.back: unknown variable {angel}; tilt.back may use {angle}") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("cues.hold.end: '{' is never closed") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("sounds: unknown sound 'bel' (did you mean 'bell'?)") }, "\(found)")
        XCTAssertEqual(found.count, 5, "\(found)")
    }

    func testPathsNeverLeaveThePack() throws {
        let root = temporaryFolder()
        let pack = root + "/pack"
        try FileManager.default.createDirectory(atPath: pack, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/outside.wav", contents: Data([1, 2, 3]))
        try FileManager.default.createSymbolicLink(atPath: pack + "/link.wav", withDestinationPath: root + "/outside.wav")
        let found = problems(
            "{cues: {'hold.end': {file: '../outside.wav'}, 'hold.halfway': {file: '/etc/passwd'}, 'hold.left': {file: 'link.wav'}, 'tilt.upright': {file: 'missing.wav'}}}",
            folder: pack)
        XCTAssertEqual(found.count, 4, "\(found)")
        XCTAssertEqual(found.filter { $0.contains("leaves the pack's folder") }.count, 2, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("is a link to") && $0.contains("outside the pack's folder") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("'missing.wav' does not exist") }, "\(found)")
    }

    func testAPackFallsBackKeyByKey() throws {
        let dir = temporaryFolder()
        FileManager.default.createFile(atPath: dir + "/pack.json5", contents: Data("{name: 'mine', cues: {'hold.halfway': 'Half way there.'}}".utf8))
        let pack = try PackLocator.load(dir)
        XCTAssertEqual(pack.cues["hold.halfway"], .text("Half way there."))
        XCTAssertEqual(pack.cues["hold.end"], try PackReader.builtinDefault().cues["hold.end"])
        XCTAssertEqual(pack.name, "mine")
    }

    func testUnknownPackNameIsNotFound() {
        XCTAssertThrowsError(try PackLocator.load("klingon")) { error in
            XCTAssertEqual((error as! UpturnError).code, .noInput)
        }
    }
}

import UpturnSounds

enum ShippedSoundsSource {
    static var folder: String { ShippedSounds.sourceFolder }
}

/// A pack's spoken commands: naming some phrases never loses the others (least of all
/// "upturn stop"), and a threshold no command can reach is refused (issue 18).
final class PackListenTests: XCTestCase {
    func read(_ listen: String, language: String = "en") throws -> VoiceCommands {
        let dir = temporaryFolder()
        let text = "{name: 'x', language: '\(language)', voice: {name: 'en-us'}, listen: \(listen)}"
        FileManager.default.createFile(atPath: dir + "/pack.json5", contents: Data(text.utf8))
        return try PackReader.read(folder: dir).voiceCommands()
    }

    func testNamingOnePhraseKeepsEveryOtherCommand() throws {
        for language in ["en", "de"] {
            let commands = try read("{phrases: {pause: 'table pause'}}", language: language)
            XCTAssertEqual(commands.phrases["table pause"], .pause)
            XCTAssertNil(commands.phrases["upturn pause"])
            XCTAssertEqual(commands.phrases["upturn stop"], .stop, language)
            XCTAssertEqual(commands.phrase(for: "stop"), "upturn stop")
            XCTAssertEqual(commands.phrase(for: "next"), "upturn next")
            XCTAssertEqual(commands.startPhrase, "upturn start")
        }
        // A pack that names another stop has that one alone.
        let own = try read("{phrases: {stop: 'table stop'}}")
        XCTAssertEqual(own.phrases.filter { $0.value == .stop }.map(\.key), ["table stop"])
        // A pack that gives a default phrase to another command: that command has it.
        let moved = try read("{phrases: {pause: 'upturn stop', stop: 'table stop'}}")
        XCTAssertEqual(moved.phrases["upturn stop"], .pause)
        XCTAssertEqual(moved.phrases["table stop"], .stop)
        // Thresholds on an unnamed command apply to its kept English phrase.
        let held = try read("{phrases: {pause: 'table pause'}, thresholds: {stop: 2}}")
        XCTAssertEqual(held.thresholds["upturn stop"], 2)
    }

    func testAThresholdNoCommandReachesIsRefused() {
        for value in ["50", "30.5", "31"] {
            XCTAssertThrowsError(try read("{thresholds: {stop: \(value)}}")) { error in
                let error = error as! UpturnError
                XCTAssertEqual(error.code, .dataError)
                XCTAssertTrue(error.problems.first?.contains("listen.thresholds.stop: a threshold should be a number from -50 to 30") == true, "\(error.problems)")
                XCTAssertTrue(error.problems.first?.contains("found \(value)") == true, "\(error.problems)")
            }
        }
        XCTAssertEqual(try read("{thresholds: {stop: 30}}").thresholds["upturn stop"], 30)
    }
}
