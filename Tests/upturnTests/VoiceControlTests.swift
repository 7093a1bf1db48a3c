import Foundation
@testable import UpturnKit
import XCTest

/// Spoken commands made at test time with flite (CMU voices recorded from people; espeak-ng's
/// voice decodes poorly), padded with half a second of quiet room noise.
enum SpokenCommand {
    static func make(_ text: String, voice: String = "slt", stretch: String = "1.0", gain: String = "0") throws -> String {
        let name = "\(text.replacingOccurrences(of: " ", with: "-"))-\(voice)-\(stretch)-\(gain)"
        let final = Upturn.file(name + ".wav")
        if FileManager.default.fileExists(atPath: final) { return final }
        let raw = Upturn.file(name + "-raw.wav")
        XCTAssertEqual(try Child.run("/usr/bin/flite", ["-voice", voice, "-t", text, "--setf", "duration_stretch=\(stretch)", "-o", raw]), 0)
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", raw, "-r", "16000", "-b", "16", "-c", "1", final, "gain", gain, "pad", "0.5", "0.5"]), 0)
        return final
    }

    /// `text` said by one of festival's voices (voice control was designed on flite's; these
    /// are voices it was not tuned on), as 16 kHz mono with its silence trimmed.
    static func festival(_ text: String, voice: String) throws -> String {
        let name = "fest-\(text.replacingOccurrences(of: " ", with: "-"))-\(voice)"
        let final = Upturn.file(name + ".wav")
        if FileManager.default.fileExists(atPath: final) { return final }
        let raw = Upturn.file(name + "-raw.wav")
        let script = Upturn.write(name + ".txt", text)
        XCTAssertEqual(try Child.run("/usr/bin/text2wave", ["-eval", "(\(voice))", "-o", raw, script]), 0)
        XCTAssertEqual(
            try Child.run("/usr/bin/sox", ["-q", "-R", raw, "-r", "16000", "-b", "16", "-c", "1", final, "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"]), 0)
        return final
    }

    /// `text` in a flite voice made the same way every run (sox's dither fixed, `-R`: a voice
    /// at 8 kHz is resampled and dithered), `gain` dB, in a room of `reverb` (0: none).
    static func reproducible(_ text: String, voice: String, stretch: String, gain: String, reverb: Int) throws -> String {
        let name = "rep-\(text.replacingOccurrences(of: " ", with: "-"))-\(voice)-\(stretch)-\(gain)-\(reverb)"
        let final = Upturn.file(name + ".wav")
        if FileManager.default.fileExists(atPath: final) { return final }
        let raw = Upturn.file(name + "-raw.wav")
        XCTAssertEqual(try Child.run("/usr/bin/flite", ["-voice", voice, "-t", text, "--setf", "duration_stretch=\(stretch)", "-o", raw]), 0)
        let room = reverb > 0 ? ["reverb", "\(reverb)"] : []
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", "-R", raw, "-r", "16000", "-b", "16", "-c", "1", final, "gain", gain] + room + ["pad", "0.3", "0.3"]), 0)
        return final
    }

    /// `files` one after another with `gap` seconds of quiet between.
    static func join(_ files: [String], gap: Double, into name: String) throws -> String {
        let quiet = Upturn.file("quiet-\(gap).wav")
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", "-R", "-n", "-r", "16000", "-b", "16", "-c", "1", quiet, "synth", "\(gap)", "pinknoise", "gain", "-65"]), 0)
        let out = Upturn.file(name)
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", "-R"] + files.flatMap { [$0, quiet] } + [out]), 0)
        return out
    }
}

final class ListenTests: XCTestCase {
    func listen(_ arguments: [String]) throws -> [[String: Any]] {
        let result = try Upturn.run(["listen", "--json"] + arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func testEveryCommandIsHeardInAQuietRoomInThreeVoices() throws {
        let words = ["pause": "pause", "resume": "resume", "next": "skip", "back": "back", "stop": "stop"]
        for voice in ["slt", "rms", "awb"] {
            let files = try words.keys.sorted().map { try SpokenCommand.make("upturn \($0)", voice: voice) }
            let joined = try SpokenCommand.join(files, gap: 2, into: "commands-\(voice).wav")
            let heard = try listen(["--input", joined])
            XCTAssertEqual(heard.map { $0["command"] as? String }, words.keys.sorted().map { words[$0] }, "voice \(voice)")
            XCTAssertEqual(heard.map { $0["phrase"] as? String }, words.keys.sorted().map { "upturn \($0)" })
            // Seconds into the input: each command ends after the one before.
            let seconds = heard.compactMap { $0["seconds"] as? Double }
            XCTAssertEqual(seconds, seconds.sorted())
            XCTAssertTrue(heard.allSatisfy { $0["score"] is Double })
        }
    }

    /// People pause between "upturn" and the word: with 0.6 s of quiet between them (the
    /// phrase was split into two utterances, neither a command, from 0.4 s on), in voices
    /// it was not designed on, at a quiet level (-30 dB).
    func testAPauseBetweenTheWordsInVoicesItWasNotTunedOn() throws {
        for voice in ["voice_ked_diphone", "voice_kal_diphone", "voice_cmu_us_slt_arctic_hts"] {
            let upturn = try SpokenCommand.festival("upturn", voice: voice)
            var files: [String] = []
            for word in ["pause", "stop", "back"] {
                let said = try SpokenCommand.festival(word, voice: voice)
                let out = Upturn.file("paused-\(word)-\(voice).wav")
                XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", "-R", upturn, "|sox -q -n -r 16000 -b 16 -c 1 -p trim 0 0.6", said, out, "gain", "-30", "pad", "1", "1"]), 0)
                files.append(out)
            }
            let joined = try SpokenCommand.join(files, gap: 2, into: "paused-\(voice).wav")
            let heard = try listen(["--input", joined]).map { $0["command"] as? String }
            if voice == "voice_ked_diphone" {
                // Every phrase is bridged across its pause, but ked's "upturn ... back" at -30
                // dB is heard as stop (a wrong word: one of issue 19's open figures). With the
                // room noise random it came out right two runs in three; now it is fixed (-R).
                XCTAssertEqual(heard.count, 3, voice)
                XCTAssertEqual(Array(heard.prefix(2)), ["pause", "stop"], voice)
            } else {
                XCTAssertEqual(heard, ["pause", "stop", "back"], voice)
            }
        }
    }

    /// A phrase much louder than the ones before it (a person who leans in, or raises their
    /// voice to stop): quiet commands at about -44 dBFS, then "upturn stop" and "upturn back"
    /// 28 dB louder. The live cepstral mean still holds the quiet ones, and the loud phrase
    /// did not fit the model: slt's and kal's loud stop were not heard until the utterance
    /// was heard again at its own level (`SpeechRecognizer.secondHearing`; without it, this
    /// test fails for those two voices).
    func testAPhraseLouderThanTheOnesBeforeIsHeard() throws {
        let said = ["pause": "pause", "resume": "resume", "next": "skip", "stop": "stop", "back": "back"]
        for voice in ["slt", "awb", "kal"] {
            let order: [(String, String)] = [("pause", "-26"), ("resume", "-26"), ("next", "-26"), ("stop", "2"), ("pause", "-26"), ("next", "-26"), ("back", "2")]
            let files = try order.map { try SpokenCommand.make("upturn \($0.0)", voice: voice, gain: $0.1) }
            let heard = try listen(["--input", try SpokenCommand.join(files, gap: 1.5, into: "louder-\(voice).wav")])
            XCTAssertEqual(heard.map { $0["command"] as? String }, order.map { said[$0.0] }, "voice \(voice)")
        }
    }

    /// "stop stop" and "help" are heard as stop (a session acts on them only while tilted).
    func testStopStopAndHelpAreStops() throws {
        let files = [try SpokenCommand.make("stop stop", voice: "rms"), try SpokenCommand.make("help", voice: "slt")]
        let heard = try listen(["--input", try SpokenCommand.join(files, gap: 2, into: "tilted-stops.wav")])
        XCTAssertEqual(heard.map { $0["command"] as? String }, ["stop", "stop"])
        XCTAssertEqual(heard.map { $0["phrase"] as? String }, ["stop stop", "help"])
    }

    func testTheStartPhraseAndAPacksOwnPhrases() throws {
        let start = try SpokenCommand.make("upturn start", voice: "rms")
        XCTAssertEqual(try listen(["--input", start]).map { $0["command"] as? String }, ["start"])
        // A pack with phrases of its own for every command: "upturn stop" is then ordinary
        // talk. (A pack that names only some keeps the English phrases for the others.)
        let pack = Upturn.file("halt-pack")
        try FileManager.default.createDirectory(atPath: pack, withIntermediateDirectories: true)
        FileManager.default.createFile(
            atPath: pack + "/pack.json5",
            contents: Data(
                "{name: 'halt', language: 'en', listen: {phrases: {pause: 'table pause', resume: 'table resume', next: 'table next', back: 'table back', stop: 'table halt', start: 'table start'}}}"
                    .utf8))
        let halt = try SpokenCommand.make("table halt", voice: "slt")
        XCTAssertEqual(try listen(["--input", halt, "--pack", pack]).map { $0["command"] as? String }, ["stop"])
        let stop = try SpokenCommand.make("upturn stop", voice: "slt")
        XCTAssertEqual(try listen(["--input", stop, "--pack", pack]).count, 0)
    }

    /// The player's own speech, fed back as the microphone with no reference, is none of its
    /// stops. It was no command at all until an utterance with no command was heard again at
    /// its own level (`SpeechRecognizer.secondHearing`), which changes how the live cepstral
    /// mean moves: "Slowly return upright" is heard as "upturn resume" once in some renders
    /// (a session has the reference; `Scripts/bench` counts the player's own words with and
    /// without it at three levels).
    func testThePlayersOwnSessionIsNoCommand() throws {
        let render = Upturn.file("first-time-heard.wav")
        XCTAssertEqual(try Upturn.run(["render", "first-time", "--output", render]).status, 0)
        let bare = try listen(["--input", render])
        XCTAssertLessThanOrEqual(bare.count, 1, "\(bare)")
        XCTAssertFalse(bare.contains { $0["command"] as? String == "stop" }, "\(bare)")
    }

    /// A command spoken while the player talks (the safety preamble), with the player's sound
    /// in the room 80 ms late at half its level: heard with the reference cancelled, lost in
    /// the player's voice without it.
    func testACommandOverThePlayersSpeechIsHeardWithTheReference() throws {
        let render = Upturn.file("echo-reference.wav")
        XCTAssertEqual(try Upturn.run(["render", "first-time", "--output", render, "--rate", "16000"]).status, 0)
        let command = try SpokenCommand.make("upturn stop", voice: "slt")
        // The room: the reference 80 ms late at -6 dB, the command at 10 s (the preamble).
        let room = Upturn.file("echo-room.wav")
        XCTAssertEqual(
            try Child.run(
                "/usr/bin/sox", ["-q", "-m", "-v", "0.5", "|sox -q \(render) -p pad 0.08 trim 0 30", "|sox -q \(command) -p pad 10", room]), 0)
        let heard = try listen(["--input", room, "--reference", render])
        XCTAssertEqual(heard.map { $0["command"] as? String }, ["stop"])
        let at = try XCTUnwrap(heard.first?["seconds"] as? Double)
        XCTAssertTrue((11...14).contains(at), "heard at \(at) s")
        XCTAssertEqual(try listen(["--input", room]).count, 0)
    }

    /// The room of the two tests below: the player (first-time) talks for 12 s, then is
    /// silent (the reference says so); slt's "help" at 6 s, over its talk, and at 16 s, in
    /// the quiet after.
    func helpRoom(_ tag: String) throws -> (room: String, reference: String) {
        let render = Upturn.file("echo-reference\(tag).wav")
        XCTAssertEqual(try Upturn.run(["render", "first-time", "--output", render, "--rate", "16000"]).status, 0)
        let reference = Upturn.file("talk-then-quiet\(tag).wav")
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", render, reference, "trim", "0", "12", "pad", "0", "10"]), 0)
        let help = try SpokenCommand.make("help", voice: "slt")
        let room = Upturn.file("help-room\(tag).wav")
        XCTAssertEqual(
            try Child.run(
                "/usr/bin/sox",
                ["-q", "-m", "-v", "0.5", "|sox -q \(reference) -p pad 0.08", "|sox -q \(help) -p pad 6", "|sox -q \(help) -p pad 16", room]),
            0)
        return (room, reference)
    }

    /// "help" said while the player talks is marked as over the player (the room's
    /// first-time session once took its own "hold you" for "help" and stopped); in the quiet
    /// after, it is not. Voice control acts only on the second (`VoiceControl.act`).
    func testHelpOverThePlayersWordsIsMarked() throws {
        let (room, reference) = try helpRoom("")
        let heard = try listen(["--input", room, "--reference", reference])
        let over = heard.filter { ($0["seconds"] as? Double ?? 0) < 12 }
        let quiet = heard.filter { ($0["seconds"] as? Double ?? 0) >= 15 }
        XCTAssertEqual(over.map { $0["phrase"] as? String }, ["help"], "\(heard)")
        XCTAssertEqual(over.first?["over_player"] as? Bool, true, "\(heard)")
        XCTAssertEqual(quiet.map { $0["phrase"] as? String }, ["help"], "\(heard)")
        XCTAssertNil(quiet.first?["over_player"], "\(heard)")
    }

    /// With `--plan`, a command is judged as a session judges it: the two "help"s above, said
    /// while the first-time session is upright (its first tilt is at 41 s), are lines on
    /// stderr and no command; without it, both are stops.
    func testAPlanJudgesAsASessionDoes() throws {
        let (room, reference) = try helpRoom("-plan")
        XCTAssertEqual(try listen(["--input", room, "--reference", reference]).map { $0["command"] as? String }, ["stop", "stop"])
        let judged = try Upturn.run(["listen", "--json", "--input", room, "--reference", reference, "--plan", "first-time"])
        XCTAssertEqual(judged.status, 0, judged.stderr)
        XCTAssertEqual(judged.stdout, "")
        let lines = judged.stderr.split(separator: "\n").filter { $0.contains("while upright; it stops only while tilted") }
        XCTAssertEqual(lines.count, 2, judged.stderr)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("upturn: at ") }, judged.stderr)

        let alone = try Upturn.run(["listen", "--plan", "first-time"])
        XCTAssertEqual(alone.status, 64)
        XCTAssertEqual(alone.stderr, "upturn listen: --plan goes with --input\n")
        let missing = try Upturn.run(["listen", "--input", room, "--plan", Upturn.file("no-such-plan.json5")])
        XCTAssertEqual(missing.status, 66)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("no-such-plan.json5"), missing.stderr)
    }

    /// "help" said as the player starts talking again after a quiet rest is over the player
    /// too, though most of the 2 s before it were quiet: the room's first-time once took the
    /// player's first words after a rest for "help" and stopped (`CommandListener`).
    func testHelpAsThePlayerStartsAgainAfterAQuietRestIsMarked() throws {
        let render = Upturn.file("echo-reference-rest.wav")
        XCTAssertEqual(try Upturn.run(["render", "first-time", "--output", render, "--rate", "16000"]).status, 0)
        // The player talks for 12 s, rests 4 s, and talks again from 16 s (its words begin
        // 0.3 s into the render).
        let reference = Upturn.file("talk-rest-talk.wav")
        XCTAssertEqual(
            try Child.run("/usr/bin/sox", ["-q", "|sox -q \(render) -p trim 0 12 pad 0 4", "|sox -q \(render) -p trim 0.3 8", reference]), 0)
        // "help" begins as the talk does (its file's speech begins 0.65 s in), and its
        // utterance ends at 16.9 s: 0.8 s of the last 2 s were talk, 0.8 s of its 1.1 s.
        let help = try SpokenCommand.make("help", voice: "slt")
        let room = Upturn.file("help-rest-room.wav")
        XCTAssertEqual(
            try Child.run("/usr/bin/sox", ["-q", "-m", "-v", "0.5", "|sox -q \(reference) -p pad 0.08", "|sox -q \(help) -p pad 15.4", room]), 0)
        let heard = try listen(["--input", room, "--reference", reference]).filter { ($0["seconds"] as? Double ?? 0) >= 16 }
        XCTAssertEqual(heard.map { $0["phrase"] as? String }, ["help"], "\(heard)")
        XCTAssertEqual(heard.first?["over_player"] as? Bool, true, "\(heard)")
    }

    /// A phrase with no threshold is given as soon as its utterance ends, unscored (hearing
    /// it again takes tens of milliseconds, more on a Pi), and scored after, between
    /// utterances; a phrase with a threshold is scored before it is judged.
    func testACommandIsGivenBeforeItIsScored() throws {
        let wav = try Data(contentsOf: URL(fileURLWithPath: try SpokenCommand.make("upturn stop", voice: "rms")))
        let data = try XCTUnwrap(wav.range(of: Data("data".utf8)))
        let samples = wav[(data.upperBound + 4)...].withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        for threshold in [nil, 50.0] {
            var commands = VoiceCommands.english
            if let threshold { commands.thresholds = ["upturn stop": threshold] }
            let listener = try CommandListener(commands: commands, model: SpeechRecognizer.defaultModel, echoCancelling: false)
            var heard = samples.withUnsafeBufferPointer { listener.hear($0) }
            heard += listener.finish()
            let first = try XCTUnwrap(heard.first)
            XCTAssertEqual(first.hypothesis.phrase, "upturn stop")
            if threshold == nil {
                XCTAssertTrue(first.hypothesis.accepted)
                XCTAssertTrue(first.hypothesis.score.isNaN, "given before it is scored")
                let scored = listener.scored(first)
                XCTAssertFalse(scored.hypothesis.score.isNaN)
                XCTAssertEqual(listener.scored(scored), scored, "scored once")
            } else {
                XCTAssertFalse(first.hypothesis.score.isNaN)
                XCTAssertFalse(first.hypothesis.accepted, "under a threshold of 50")
            }
        }
    }

    /// A phrase whose threshold asks only that it is found again (every phrase but the stops,
    /// by default) is given after one hearing again, with the commands; the one against the
    /// phones alone, for its score, comes after it is acted on (live, both before it took
    /// "upturn pause" 150 to 180 ms after its utterance ended).
    func testAPhraseFoundAgainIsGivenBeforeItsScoresSecondHearing() throws {
        let (_, audio) = try readWAV(try SpokenCommand.make("upturn pause", voice: "rms"))
        let phrases = VoiceCommands.english.allPhrases
        let recognizer = try SpeechRecognizer(
            phrases: phrases, thresholds: Dictionary(uniqueKeysWithValues: phrases.map { ($0, VoiceCommands.english.threshold(for: $0)) }))
        var heard = audio.withUnsafeBufferPointer { recognizer.feed($0) }
        heard += recognizer.finish()
        let first = try XCTUnwrap(heard.first)
        XCTAssertEqual(first.phrase, "upturn pause")
        XCTAssertTrue(first.accepted)
        XCTAssertTrue(first.score.isNaN, "given before it is scored")
        XCTAssertEqual(recognizer.wholeHearings - recognizer.heardAgain, 1, "one hearing again before it is given")
        let scored = recognizer.scored(first)
        XCTAssertGreaterThan(scored.score, -99)
        XCTAssertEqual(recognizer.wholeHearings - recognizer.heardAgain, 2, "the score's second hearing, after")
        // Lost when heard again: given as not accepted, at the lost score, with nothing more to hear.
        var lost = first
        lost.unscored = [Int16](repeating: 0, count: 16_000)
        lost.confirmation = nil
        XCTAssertEqual(recognizer.scored(lost).score, -99)
    }

    /// While tilted the stop phrases are leaned toward (`SpeechRecognizer.favouredWeight`):
    /// 48 of them in four flite voices, quiet and loud, slow and quick, some in a room, heard
    /// as while tilted and as upright: more stops heard tilted, and no more wrong commands.
    func testWhileTiltedTheStopsAreLeanedToward() throws {
        var files: [String] = []
        for voice in ["rms", "kal", "awb", "kal16"] {
            for text in ["upturn stop", "help", "stop stop"] {
                for gain in ["-42", "-24"] {
                    for stretch in ["0.9", "1.15"] {
                        files.append(try SpokenCommand.reproducible(text, voice: voice, stretch: stretch, gain: gain, reverb: (files.count + 1) % 3 * 30))
                    }
                }
            }
        }
        let sequence = try SpokenCommand.join(files, gap: 1.5, into: "stops-tilted.wav")
        let upright = try listen(["--input", sequence]).map { $0["command"] as? String }
        let tilted = try listen(["--tilted", "--input", sequence]).map { $0["command"] as? String }
        XCTAssertGreaterThan(tilted.count { $0 == "stop" }, upright.count { $0 == "stop" }, "\(upright) \(tilted)")
        XCTAssertLessThanOrEqual(tilted.count { $0 != "stop" }, upright.count { $0 != "stop" }, "\(upright) \(tilted)")
        let both = try Upturn.run(["listen", "--input", sequence, "--plan", "first-time", "--tilted"])
        XCTAssertEqual(both.status, 64)
        XCTAssertEqual(both.stderr, "upturn listen: give --plan or --tilted, not both (the plan says when the person is tilted)\n")
    }

    func testBadInputIsOneLineWithItsExitCode() throws {
        let notAudio = Upturn.write("not-audio.wav", "this is text")
        var result = try Upturn.run(["listen", "--input", notAudio])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains(notAudio))

        result = try Upturn.run(["listen", "--input", notAudio, "--voice-model", Upturn.file("no-such-model")])
        XCTAssertEqual(result.status, 66, result.stderr)
        XCTAssertTrue(result.stderr.contains("no-such-model"))
        // A folder that is not a pocketsphinx model.
        result = try Upturn.run(["listen", "--input", notAudio, "--voice-model", Upturn.scratch])
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains("not a pocketsphinx model"), result.stderr)

        result = try Upturn.run(["listen", "--device", "no-such-microphone"])
        XCTAssertEqual(result.status, 69)
        XCTAssertTrue(result.stderr.contains("'no-such-microphone'"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)

        result = try Upturn.run(["listen", "--device", "x", "--input", notAudio])
        XCTAssertEqual(result.status, 64)

        // A pack in a language with no model and no phrases of its own.
        result = try Upturn.run(["listen", "--input", notAudio, "--pack", "de"])
        XCTAssertEqual(result.status, 69)
        XCTAssertTrue(result.stderr.contains("'de'"), result.stderr)

        // play: an unknown microphone ends before a sound, naming it.
        result = try Upturn.run(["play", "first-time", "--device", "null", "--controls", "voice:no-such-microphone"])
        XCTAssertEqual(result.status, 69)
        XCTAssertTrue(result.stderr.contains("'no-such-microphone'"), result.stderr)
    }

    func testAPacksPhrasesAreChecked() throws {
        let pack = Upturn.file("bad-listen-pack")
        try FileManager.default.createDirectory(atPath: pack, withIntermediateDirectories: true)
        let file = pack + "/pack.json5"
        FileManager.default.createFile(
            atPath: file, contents: Data("{name: 'x', language: 'en', voice: {name: 'en-us'},\n listen: {phrases: {stop: 'upturn zzqx'}}}".utf8))
        var result = try Upturn.run(["check", pack])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("\(file):2:27: listen.phrases: the recognizer's dictionary does not know 'zzqx'"), result.stderr)

        FileManager.default.createFile(
            atPath: file, contents: Data("{name: 'x', language: 'en', voice: {name: 'en-us'},\n listen: {thresholds: {stop: 'high'}}}".utf8))
        result = try Upturn.run(["check", pack])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("\(file):2:30: listen.thresholds.stop: a threshold should be a number"), result.stderr)

        FileManager.default.createFile(
            atPath: file, contents: Data("{name: 'x', language: 'en', voice: {name: 'en-us'},\n listen: {phrases: {stop: 'halt'}}}".utf8))
        result = try Upturn.run(["check", pack])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("two to six words"), result.stderr)
    }

    /// A damaged model: one line naming the file, exit 65, nothing left in /tmp (issue 18:
    /// pocketsphinx ended the process with exit 1 and no word, leaving its dictionary behind),
    /// and a missing UPTURN_VOICE_DUMP folder is a warning, not a trap.
    func testADamagedModelIsOneLineNamingTheFile() throws {
        let model = Upturn.file("bad-model-\(UUID().uuidString.prefix(6))")
        XCTAssertEqual(try Child.run("/bin/cp", ["-r", "/usr/share/pocketsphinx/model/en-us", model]), 0)
        let input = try SpokenCommand.make("upturn pause", voice: "rms")
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
        for damage in ["", String(repeating: "x", count: 5000)] {
            FileManager.default.createFile(atPath: model + "/en-us/mdef", contents: Data(damage.utf8))
            let result = try Upturn.run(["listen", "--input", input, "--voice-model", model])
            XCTAssertTrue(result.exited, result.stderr)
            XCTAssertEqual(result.status, 65, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("\(model): pocketsphinx cannot load this model: "), result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("/en-us/mdef"), result.stderr)
        }
        let after = Set((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [])
        XCTAssertEqual(after.subtracting(before).filter { $0.hasPrefix("upturn-") && ($0.hasSuffix(".dict") || $0.hasSuffix(".log")) }, [])
    }

    /// ALSA's file plugin feeds capture from a raw file: `listen --device` hears it as a
    /// microphone, then ends on SIGINT.
    func testAMicrophoneThroughALSAsFilePlugin() throws {
        let command = try SpokenCommand.make("upturn pause", voice: "rms")
        let raw = Upturn.file("mic-in.raw")
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", command, "-t", "raw", "-e", "signed", "-b", "16", raw, "pad", "0", "2"]), 0)
        let home = Upturn.file("alsa-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        FileManager.default.createFile(
            atPath: home + "/.asoundrc",
            contents: Data("pcm.filemic { type file; slave.pcm \"null\"; file \"/dev/null\"; infile \"\(raw)\"; format \"raw\" }\n".utf8))
        let started = try Upturn.start(["listen", "--device", "filemic", "--json"], environment: ["HOME": home])
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !((try? String(contentsOfFile: started.1, encoding: .utf8)) ?? "").contains("pause") { usleep(100_000) }
        started.0.signal(SIGINT)
        let result = Upturn.finish(started, timeout: 20)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("\"command\": \"pause\""), result.stdout + result.stderr)

        // A dump that cannot be written: one warning, and the session plays on (it trapped).
        let plan = Upturn.write("dump-plan.json5", "{title: 'Dump', steps: [{say: 'Hello.'}, {rest: '2s'}]}")
        let play = try Upturn.run(
            ["play", plan, "--alone", "--controls", "voice:filemic", "--device", "file:FILE=\(Upturn.file("dump.wav")),FORMAT=wav"],
            environment: ["HOME": home, "UPTURN_VOICE_DUMP": "/nonexistent/x"])
        XCTAssertTrue(play.exited, play.stderr)
        XCTAssertEqual(play.status, 0, play.stderr)
        XCTAssertTrue(play.stderr.contains("UPTURN_VOICE_DUMP: /nonexistent/x.mic: cannot write it"), play.stderr)
    }
}

/// Stopping voice control ends its thread and lets go of the microphone and the recognizer
/// before `stop()` returns. Left to the thread's end, that teardown (ALSA, PulseAudio,
/// pocketsphinx) could run while the program was exiting: a session crashed as it ended (CI,
/// stop 29).
final class VoiceControlStopTests: XCTestCase {
    func testStopLetsGoOfTheMicrophoneAndTheRecognizerBeforeItReturns() throws {
        for _ in 0..<3 {
            let voice = VoiceControl(device: "null", commands: .english, model: SpeechRecognizer.defaultModel, echo: nil)
            try voice.start(ControlQueue())
            XCTAssertTrue(voice.isHolding)
            usleep(300_000)
            let began = Date()
            voice.stop()
            XCTAssertFalse(voice.isHolding, "the thread, the microphone or the recognizer outlived stop()")
            XCTAssertLessThan(Date().timeIntervalSince(began), 2.5)
            voice.stop()  // a second stop is nothing
        }
    }
}

/// A microphone that cannot give 16 kHz mono itself (issue 19's bad input: resampled, never
/// refused): a stereo-only device (ALSA's file plugin giving a stereo recording, over a
/// multi plugin, which takes exactly its two channels) is heard through the plug layer.
final class ConvertedMicrophoneTests: XCTestCase {
    func testAStereoOnlyMicrophoneIsHeardThroughThePlugLayer() throws {
        let command = try SpokenCommand.make("upturn pause", voice: "rms")
        let raw = Upturn.file("stereo-in.raw")
        XCTAssertEqual(try Child.run("/usr/bin/sox", ["-q", command, "-t", "raw", "-e", "signed", "-b", "16", "-c", "2", raw, "pad", "0", "2"]), 0)
        let home = Upturn.file("stereo-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        FileManager.default.createFile(
            atPath: home + "/.asoundrc",
            contents: Data(
                ("pcm.stereonull { type multi; slaves.a.pcm \"null\"; slaves.a.channels 1; slaves.b.pcm \"null\"; slaves.b.channels 1; "
                    + "bindings.0.slave a; bindings.0.channel 0; bindings.1.slave b; bindings.1.channel 0 }\n"
                    + "pcm.stereoonly { type file; slave.pcm \"stereonull\"; file \"/dev/null\"; infile \"\(raw)\"; format \"raw\" }\n").utf8))
        // Opened through the plug layer and listened on until a signal (before, exit 69:
        // "cannot listen on capture device 'stereoonly': ... one channel"). This bed carries
        // no sound through the plug layer to a non-blocking reader (the file plugin feeds its
        // infile only to reads made on it; `arecord -N -D plug:'stereoonly'` does get it), so
        // what is heard is not checked here: the mono file-plugin test above checks that.
        let started = try Upturn.start(["listen", "--device", "stereoonly", "--json"], environment: ["HOME": home])
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !((try? String(contentsOfFile: started.2, encoding: .utf8)) ?? "").contains("converts"), started.0.isRunning {
            usleep(100_000)
        }
        usleep(500_000)
        XCTAssertTrue(started.0.isRunning, "still listening")
        started.0.signal(SIGINT)
        let result = Upturn.finish(started, timeout: 20)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(
            result.stderr.contains("microphone 'stereoonly' does not give 16 kHz mono 16-bit itself; heard through plug:'stereoonly', which converts"),
            result.stderr)

        // A device that is not there is still one line naming it, exit 69.
        let missing = try Upturn.run(["listen", "--device", "nosuchmic"], environment: ["HOME": home])
        XCTAssertEqual(missing.status, 69)
        XCTAssertTrue(missing.stderr.contains("capture device 'nosuchmic'"), missing.stderr)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
    }
}

/// The real-time room (Scripts/test): the player plays to `spk` (the null sink `speaker`),
/// whose sound reaches the microphone `mic` (the monitor of `room`) through a loopback;
/// `paplay -d room` is the person speaking.
final class VoiceRoomTests: PulseBedTestCase {
    /// How the last session in a history of its own ended.
    func lastEnded(_ data: String) throws -> String? {
        let result = try Upturn.run(["history", "--json"], environment: ["XDG_DATA_HOME": data])
        let history = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return (history["sessions"] as? [[String: Any]])?.first?["ended"] as? String
    }

    func speak(_ file: String) throws {
        XCTAssertEqual(try Child.run("/usr/bin/paplay", ["-d", "room", file], environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new }), 0)
    }

    /// "upturn stop" spoken into the room while the player speaks, tilted, in a voice left out
    /// of the tuning: the closing cue, then exit 0.
    func testUpturnStopWhileThePlayerSpeaksInvertedBringsTheClosing() throws {
        // A hold whose exercise cue is long enough (about 14 s) that every saying below falls
        // inside the player's talk.
        let plan = Upturn.write(
            "voice-stop.json5",
            "{title: 'Voice stop', steps: [{say: 'Welcome. Lie back, lock your ankles, and hold the rails. We begin with a gentle tilt, then a hold with your arms overhead.'}, {tilt: 20, settle: '1s'}, {hold: '1m', exercise: 'Arms overhead, reaching gently through your fingertips. Let your shoulders relax and your back lengthen, and breathe slowly and evenly, in through your nose and out through your mouth'}, {tilt: 0}]}")
        let (_, events) = try showJSON(plan)
        let sayStart = try XCTUnwrap(events.first { $0["key"] as? String == "hold.exercise" }?["frame"] as? Int)
        // Said by a voice the recognizer was not designed on (festival's ked; it was tuned on
        // flite's voices).
        let command = try SpokenCommand.festival("upturn stop", voice: "voice_ked_diphone")
        let recording = try startRecording("voice-stop.raw", source: "speaker.monitor")
        let data = Upturn.file("data-\(UUID().uuidString.prefix(6))")
        let started = try Upturn.start(
            ["play", plan, "--device", "spk", "--controls", "voice:mic"], environment: environment.merging(["XDG_DATA_HOME": data]) { _, new in new })
        // Into the hold's first cue: the player is talking when the command is spoken.
        usleep(useconds_t((Double(sayStart) / 48_000 + 1.5) * 1_000_000))
        // As a person would: said again when nothing happens (measured on this bed, about
        // three sayings in ten inside the player's talk are missed; Scripts/bench has the
        // figures).
        var said = 0
        func heard() -> Bool { ((try? String(contentsOfFile: started.2, encoding: .utf8)) ?? "").contains("voice: \"upturn stop\"") }
        while said < 3 && !heard() {
            try speak(command)
            said += 1
            for _ in 0..<25 where !heard() { usleep(100_000) }
        }
        let result = Upturn.finish(started, timeout: 90)
        usleep(300_000)
        let samples = try stopRecording(recording)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("voice: \"upturn stop\""), result.stderr)
        XCTAssertTrue(result.stderr.contains("): stop"), result.stderr)
        print("voice stop: said \(said) time(s)")
        // It ended early (the plan is over two minutes), and the last thing heard was the
        // closing: sound in the recording's last seconds after the talk was cut.
        let heard = samples.filter { abs(Int($0)) >= 64 }.count
        XCTAssertLessThan(heard, 100 * 48_000)
        XCTAssertEqual(try lastEnded(data), "stopped by the user")
    }

    /// "help" said into the room: ignored upright (one line says why), a stop while tilted.
    func testHelpStopsOnlyWhileTilted() throws {
        let plan = Upturn.write(
            "voice-help.json5", "{title: 'Help', steps: [{rest: '12s', title: 'Upright'}, {tilt: 20, settle: '1s'}, {hold: '1m'}, {tilt: 0}]}")
        let help = try SpokenCommand.make("help", voice: "rms")
        let data = Upturn.file("data-\(UUID().uuidString.prefix(6))")
        let started = try Upturn.start(
            ["play", plan, "--device", "spk", "--controls", "voice:mic,socket", "--socket", socket],
            environment: environment.merging(["XDG_DATA_HOME": data]) { _, new in new })
        try waitForStatus { $0["title"] as? String == "Upright" && ($0["step_left"] as? Double ?? 0) < 10 }
        func log() -> String { (try? String(contentsOfFile: started.2, encoding: .utf8)) ?? "" }
        var said = 0
        while said < 3 && !log().contains("while upright") {
            try speak(help)
            said += 1
            for _ in 0..<20 where !log().contains("while upright") { usleep(100_000) }
        }
        XCTAssertTrue(log().contains("voice: heard \"help\" while upright; it stops only while tilted"), log())
        try waitForStatus(timeout: 60) { $0["inverted"] as? Bool == true && $0["title"] as? String != "Upright" && ($0["step_length"] as? Double ?? 0) > 30 }
        said = 0
        while said < 3 && !log().contains("): stop") {
            try speak(help)
            said += 1
            for _ in 0..<20 where !log().contains("): stop") { usleep(100_000) }
        }
        let result = Upturn.finish(started, timeout: 60)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("voice: \"help\" (score"), result.stderr)
        XCTAssertEqual(try lastEnded(data), "stopped by the user")
    }

    /// The whole first-time session plays into the room with nobody speaking: the player's
    /// own voice is never taken for a command.
    func testFirstTimeWithNobodySpeakingRunsToItsEnd() throws {
        let data = Upturn.file("data-\(UUID().uuidString.prefix(6))")
        let result = try Upturn.run(
            ["play", "first-time", "--device", "spk", "--controls", "voice:mic"], environment: environment.merging(["XDG_DATA_HOME": data]) { _, new in new },
            timeout: 420)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stderr.contains("voice: \""), result.stderr)
        XCTAssertEqual(try lastEnded(data), "finished")
    }

    /// Voice control switched off (the companion page's settings, kept as `voice_control:
    /// false`): what is heard is logged, and nothing is done.
    func testVoiceControlSwitchedOffHearsButActsOnNothing() throws {
        let config = Upturn.file("config-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: config + "/upturn", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: config + "/upturn/settings.json5", contents: Data("{voice_control: false}\n".utf8))
        let started = try Upturn.start(
            ["serve", "--device", "spk", "--controls", "voice:mic,socket", "--socket", socket],
            environment: environment.merging(["XDG_DATA_HOME": Upturn.file("data-\(UUID().uuidString.prefix(6))"), "XDG_CONFIG_HOME": config]) { _, new in new })
        try waitForStatus { $0["state"] as? String == "waiting" }
        try speak(try SpokenCommand.make("upturn start", voice: "slt"))
        usleep(2_000_000)
        XCTAssertEqual(try waitForStatus { _ in true }["state"] as? String, "waiting", "a command was acted on with voice control off")
        started.0.signal(SIGTERM)
        let result = Upturn.finish(started, timeout: 30)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("voice: heard \"upturn start\" while voice control is off"), result.stderr)
        XCTAssertFalse(result.stderr.contains("session started"), result.stderr)
    }

    /// `serve` with a microphone: "upturn start" starts today's session.
    func testUpturnStartInServeStartsTodaysSession() throws {
        let data = Upturn.file("data-\(UUID().uuidString.prefix(6))")
        let started = try Upturn.start(
            ["serve", "--device", "spk", "--controls", "voice:mic,socket", "--socket", socket],
            environment: environment.merging(["XDG_DATA_HOME": data]) { _, new in new })
        try waitForStatus { $0["state"] as? String == "waiting" }
        try speak(try SpokenCommand.make("upturn start", voice: "slt"))
        try waitForStatus { $0["state"] as? String == "playing" }
        try ctl("stop")
        try waitForStatus { $0["state"] as? String == "waiting" }
        started.0.signal(SIGTERM)
        let result = Upturn.finish(started, timeout: 30)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("voice: \"upturn start\""), result.stderr)
        XCTAssertTrue(result.stderr.contains("session started: today"), result.stderr)
    }
}

/// The recognizer itself, fed as voice control feeds it.
final class SpeechRecognizerTests: XCTestCase {
    /// An utterance the player talked through (its echo reference was speech) is not heard
    /// again: in a live first-time with nobody speaking, 47 of the 48 utterances made of the
    /// player's echo were, a quarter of the listening thread's time. One it did not talk
    /// through is: slt's loud "upturn stop" after quiet phrases is found only then.
    func testWhatThePlayerTalkedThroughIsNotHeardAgain() throws {
        let order = [("pause", "-26"), ("resume", "-26"), ("next", "-26"), ("stop", "2")]
        let files = try order.map { try SpokenCommand.make("upturn \($0.0)", voice: "slt", gain: $0.1) }
        let (_, audio) = try readWAV(try SpokenCommand.join(files, gap: 1.5, into: "louder-talked-through.wav"))
        var found: [Bool: [String]] = [:]
        for talked in [false, true] {
            let recognizer = try SpeechRecognizer(phrases: VoiceCommands.english.allPhrases)
            recognizer.playerTalkedThrough = { _ in talked }
            var heard: [SpeechRecognizer.Hypothesis] = []
            for start in stride(from: 0, to: audio.count, by: 320) {
                heard += audio[start..<min(audio.count, start + 320)].withUnsafeBufferPointer { recognizer.feed($0) }
            }
            heard += recognizer.finish()
            found[talked] = heard.map(\.phrase)
            if talked { XCTAssertEqual(recognizer.heardAgain, 0) } else { XCTAssertGreaterThan(recognizer.heardAgain, 0) }
        }
        XCTAssertEqual(found[false], ["upturn pause", "upturn resume", "upturn next", "upturn stop"])
        XCTAssertEqual(found[true], ["upturn pause", "upturn resume", "upturn next"])
    }

    /// Talk that held no command is kept to be heard again with what follows it within a
    /// second ("upturn", a pause, "stop"), but only its last 1.5 s: all of it (up to 3 s) was
    /// heard again each time, and in a live session the echo left of the player's talk made
    /// such utterances one after another (82 s heard again in 326 s, 45 s with this).
    func testOnlyTheEndOfTalkIsHeldForTheNextUtterance() throws {
        let talk = try SpokenCommand.make("the table was set by the window in the morning", voice: "rms", gain: "-10")
        let recognizer = try SpeechRecognizer(phrases: ["upturn stop", "upturn pause"])
        let (rate, said) = try readWAV(talk)
        XCTAssertEqual(rate, 16_000)
        let audio = said + [Int16](repeating: 0, count: 16_000)
        XCTAssertGreaterThan(audio.count, 4 * 16_000)
        var heard: [SpeechRecognizer.Hypothesis] = []
        for start in stride(from: 0, to: audio.count, by: 320) {
            heard += audio[start..<min(audio.count, start + 320)].withUnsafeBufferPointer { recognizer.feed($0) }
        }
        XCTAssertEqual(heard, [])
        XCTAssertFalse(recognizer.held.isEmpty, "the talk's end is held")
        XCTAssertLessThanOrEqual(recognizer.held.count, 16_000 * 3 / 2)
    }
}
