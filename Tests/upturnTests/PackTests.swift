import Foundation
import XCTest

/// Cue packs from the command line: the shipped ones, a new one with a recording, authoring.
final class PackTests: XCTestCase {
    func testShippedPacksAreListedAndCheck() throws {
        let packs = try Upturn.run(["packs"])
        XCTAssertEqual(packs.status, 0)
        XCTAssertEqual(packs.stdout.split(separator: "\n").map { String($0.split(separator: " ")[0]) }, ["en", "de", "es", "fr"])
        let folders = ["en", "de", "es", "fr"].map { ShippedPacks.folder + "/" + $0 }
        let check = try Upturn.run(["check"] + folders)
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertEqual(check.stdout, folders.map { "\($0): ok\n" }.joined(), "every shipped pack has every key")
    }

    func testEveryShippedPackRendersEveryProgram() throws {
        for pack in ["de", "es", "fr"] {
            for program in ["first-time", "stretch", "core", "full"] {
                let output = Upturn.file("\(pack)-\(program).wav")
                let result = try Upturn.run(["render", program, "--pack", pack, "--output", output], timeout: 300)
                XCTAssertEqual(result.status, 0, "\(pack) \(program): \(result.stderr)")
            }
            let (_, events) = try showJSON("first-time", extra: ["--pack", pack])
            let halfway = events.first { $0["key"] as? String == "hold.halfway" }?["text"] as? String
            XCTAssertNotEqual(halfway, "Halfway.", pack)
            XCTAssertNotNil(halfway, pack)
        }
    }

    func testANewPackWithARecordedCue() throws {
        let folder = Upturn.file("my-pack-\(UUID().uuidString.prefix(6))")
        let made = try Upturn.run(["pack", "new", folder, "--voice", "en-gb"])
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertEqual(try Upturn.run(["check", folder]).stdout, "\(folder): ok\n")
        XCTAssertEqual(try Upturn.run(["pack", "new", folder]).status, 73, "an existing pack is not overwritten")
        // A folder under a file: the system's reason, in one line.
        let underAFile = try Upturn.run(["pack", "new", folder + "/pack.json5/mine"])
        XCTAssertEqual(underAFile.status, 73)
        XCTAssertEqual(underAFile.stderr, "upturn: \(folder)/pack.json5/mine: cannot make the folder: Not a directory\n")

        // Replace "Halfway" with a 44.1 kHz stereo FLAC: a 0.8 s tone, quiet on purpose.
        let flac = folder + "/halfway.flac"
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-n", "-r", "44100", "-c", "2", "-b", "16", flac, "synth", "0.8", "sine", "330", "gain", "-30"]), 0)
        let packFile = folder + "/pack.json5"
        var text = try String(contentsOfFile: packFile, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"hold.halfway\": \"Halfway.\"", with: "\"hold.halfway\": { file: \"halfway.flac\", text: \"Halfway (recorded)\" }")
        try text.write(toFile: packFile, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Upturn.run(["check", folder]).status, 0)

        let output = Upturn.file("recorded.wav")
        let render = try Upturn.run(["render", "stretch", "--pack", folder, "--output", output])
        XCTAssertEqual(render.status, 0, render.stderr)
        let (frames, events) = try showJSON("stretch", extra: ["--pack", folder])
        let (rate, samples) = try readWAV(output)
        XCTAssertEqual(rate, 48_000)
        XCTAssertEqual(samples.count, frames)
        let halfway = try XCTUnwrap(events.first { $0["key"] as? String == "hold.halfway" })
        XCTAssertEqual(halfway["text"] as? String, "Halfway (recorded)")
        let frame = halfway["frame"] as! Int, length = halfway["length"] as! Int
        // At the session rate: 0.8 s of 44.1 kHz audio is 38400 frames at 48 kHz (trimmed: a little less).
        XCTAssertEqual(Double(length), 38_400, accuracy: 600)
        // Level-matched to the speech: a -30 dB tone is brought up to the voice's level.
        let clip = samples[(frame + 2000)..<(frame + length - 2000)]
        let rms = (clip.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(clip.count)).squareRoot() / 32768
        XCTAssertEqual(rms, 0.096, accuracy: 0.02)
        // 330 Hz survived the resampling: about 0.66 zero crossings per millisecond.
        var crossings = 0
        for i in clip.indices.dropFirst() where (clip[i - 1] < 0) != (clip[i] < 0) { crossings += 1 }
        XCTAssertEqual(Double(crossings) / (Double(clip.count) / 48.0), 0.66, accuracy: 0.03)
    }

    func testACorruptRecordingIsAClearError() throws {
        let folder = Upturn.file("broken-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder + "/bad.flac", contents: Data("fLaC and then nonsense".utf8))
        FileManager.default.createFile(atPath: folder + "/empty.wav", contents: Data())
        try "{cues: {'hold.halfway': {file: 'bad.flac'}}}".write(toFile: folder + "/pack.json5", atomically: true, encoding: .utf8)
        let result = try Upturn.run(["render", "stretch", "--pack", folder, "--output", Upturn.file("x.wav")])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.hasPrefix("\(folder)/bad.flac: not a readable audio file"), result.stderr)
        try "{sounds: {bell: 'empty.wav'}}".write(toFile: folder + "/pack.json5", atomically: true, encoding: .utf8)
        let empty = try Upturn.run(["render", "stretch", "--pack", folder, "--output", Upturn.file("x.wav")])
        XCTAssertEqual(empty.status, 65)
        XCTAssertTrue(empty.stderr.contains("empty.wav: the audio file is empty"), empty.stderr)
        try "{cues: {'hold.halfway': {file: '../outside.wav'}}}".write(toFile: folder + "/pack.json5", atomically: true, encoding: .utf8)
        let outside = try Upturn.run(["check", folder])
        XCTAssertEqual(outside.status, 65)
        XCTAssertTrue(outside.stderr.contains("leaves the pack's folder"), outside.stderr)
    }

    func testAuditionSpeaksEveryKey() throws {
        let output = Upturn.file("audition.wav")
        let result = try Upturn.run(["pack", "audition", "de", "--output", output], timeout: 120)
        XCTAssertEqual(result.status, 0, result.stderr)
        let samples = try readWAV(output).samples
        // Twenty keys, each announced and then said, plus the sounds: well over a minute of sound.
        XCTAssertGreaterThan(Double(samples.count) / 48_000, 60)
        let keys = try Upturn.run(["pack", "keys"])
        XCTAssertEqual(keys.status, 0)
        for key in ["session.welcome", "hold.left", "reps.count", "transport.paused"] { XCTAssertTrue(keys.stdout.contains(key), key) }
        XCTAssertTrue(keys.stdout.contains("e.g. \"Tilt back slowly to 30 degrees.\""), keys.stdout)
    }

    func testSchemas() throws {
        for which in ["plan", "pack"] {
            let result = try Upturn.run(["schema", which])
            XCTAssertEqual(result.status, 0)
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            XCTAssertNotNil(object["properties"])
        }
        XCTAssertEqual(try Upturn.run(["schema", "step"]).status, 64)
        let plan = Upturn.write("with-schema.json5", "{$schema: 'plan.schema.json', title: 'S', steps: [{say: 'Hi.'}]}")
        XCTAssertEqual(try Upturn.run(["check", plan]).status, 0)
    }

    func testUnknownVoiceInAPack() throws {
        let folder = Upturn.file("voice-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "{\n  voice: {name: 'fr-frr'},\n}".write(toFile: folder + "/pack.json5", atomically: true, encoding: .utf8)
        let result = try Upturn.run(["check", folder])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("pack.json5:2:17: voice.name: no espeak-ng voice 'fr-frr'; close matches: fr-fr"), result.stderr)
    }
}

import UpturnSounds

enum ShippedPacks {
    static var folder: String { ShippedSounds.sourceFolder }
}

/// The fuzz corpus (and every crash once found, moved into it) replays without a crash.
final class FuzzCorpusTests: XCTestCase {
    func testTheCorpusReplays() throws {
        let replay = (Upturn.binary as NSString).deletingLastPathComponent + "/upturn-fuzz"
        let corpus = ShippedPacks.folder + "/../Tests/FuzzCorpus"
        for target in ["plan", "pack", "audio", "journal", "socket"] {
            let started = try Upturn.start([target, corpus + "/" + target], executable: replay)
            let result = Upturn.finish(started, timeout: 120)
            XCTAssertTrue(result.exited, result.stderr)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.hasPrefix("replayed "), result.stdout)
        }
    }
}

/// Music under the voice: streamed, looped, at its level, ducked smoothly under every cue.
final class MusicTests: XCTestCase {
    func testMusicIsDuckedUnderEveryCue() throws {
        let folder = Upturn.file("music-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Three seconds of a 44.1 kHz stereo tone at full scale: it must loop, be resampled and be brought to -20 dB.
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-n", "-r", "44100", "-c", "2", "-b", "16", folder + "/calm.ogg", "synth", "3", "sine", "440", "gain", "-0.1"]), 0)
        let steps = "steps: [{say: 'Lie back and breathe slowly, letting the table take your weight.'}, {rest: '8s'}, {say: 'Well done.'}]"
        let withMusic = Upturn.write("music-plan.json5", "{title: 'Music', music: {file: '\(folder)/calm.ogg', level: -20, duck: -12}, \(steps)}")
        let without = Upturn.write("quiet-plan.json5", "{title: 'Music', \(steps)}")
        let a = Upturn.file("with-music.wav"), b = Upturn.file("without-music.wav")
        XCTAssertEqual(try Upturn.run(["render", withMusic, "--output", a]).status, 0)
        XCTAssertEqual(try Upturn.run(["render", without, "--output", b]).status, 0)
        let mixed = try readWAV(a).samples, speech = try readWAV(b).samples
        XCTAssertEqual(mixed.count, speech.count)
        let music = zip(mixed, speech).map { Int($0) - Int($1) }
        let (_, events) = try showJSON(without)
        let cue = events.first { $0["key"] as? String == "say" }!
        let cueStart = cue["frame"] as! Int, cueEnd = cueStart + (cue["length"] as! Int)
        func peak(_ range: Range<Int>) -> Int { music[range].map(abs).max() ?? 0 }
        // Before anything is said the music is at -20 dB (0.1 of full scale)...
        XCTAssertEqual(Double(peak(0..<4000)), 3277, accuracy: 200)
        // ...under the cue it is 12 dB lower, already when the first word comes...
        XCTAssertEqual(Double(peak(cueStart..<(cueStart + 9600))), 825, accuracy: 80)
        XCTAssertEqual(Double(peak((cueEnd - 9600)..<cueEnd)), 825, accuracy: 80)
        // ...and back up during the rest, well after the three-second track has looped.
        let last = events.last { $0["key"] as? String == "say" }!["frame"] as! Int
        XCTAssertGreaterThan(last - 48_000, 48_000 * 6)
        XCTAssertEqual(Double(peak((last - 48_000)..<(last - 44_000))), 3277, accuracy: 200)
        // Smooth: no step from one sample to the next beyond what a 440 Hz tone itself makes.
        let steepest = zip(music, music.dropFirst()).map { abs($1 - $0) }.max()!
        XCTAssertLessThan(steepest, 260)

        // Play equals render, music included.
        let played = Upturn.file("music-played.wav")
        XCTAssertEqual(try Upturn.run(["play", withMusic, "--controls", "none", "--device", "file:FILE=\(played),FORMAT=wav"]).status, 0)
        XCTAssertTrue(try readWAV(played).samples == mixed)
    }

    func testMissingMusicIsAPlanProblem() throws {
        let plan = Upturn.write("no-music.json5", "{title: 'x',\n music: {file: 'nope.ogg'},\n steps: [{say: 'Hi.'}]}")
        let result = try Upturn.run(["check", plan])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("no-music.json5:2:16: music: no music file at"), result.stderr)
    }
}
