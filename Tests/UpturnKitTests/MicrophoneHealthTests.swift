import XCTest

@testable import UpturnKit

/// The microphone's state said in one line (issue 19: a silent, dead, clipping or offset
/// microphone each get one clear line; the session goes on).
final class MicrophoneHealthTests: XCTestCase {
    func seconds(_ count: Double, _ sample: (Int) -> Int16) -> [Int16] { (0..<Int(count * 16_000)).map(sample) }

    func feed(_ health: inout MicrophoneHealth, _ samples: [Int16]) -> [String] {
        samples.withUnsafeBufferPointer { health.feed($0) }
        return health.takeLines()
    }

    func testSilenceIsSaidOnceAfterThreeSecondsAndItsEndToo() {
        var health = MicrophoneHealth()
        XCTAssertEqual(feed(&health, seconds(2, { _ in 0 })), [], "a device's first moments may be zero")
        let lines = feed(&health, seconds(5, { _ in 0 }))
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].contains("digital silence"), lines[0])
        let voice = seconds(1, { Int16(3000 * sin(Double($0) * 0.1)) })
        XCTAssertEqual(feed(&health, voice), ["gives sound again"])
        XCTAssertEqual(feed(&health, voice), [])
    }

    /// A source that gives digital silence at every pause (a sound server's monitor, a
    /// microphone with a noise gate): said once, its end once, then not again until it has
    /// given sound for a minute.
    func testSilenceThatComesAndGoesIsSaidOnceAMinute() {
        var health = MicrophoneHealth()
        let voice = seconds(1, { Int16(3000 * sin(Double($0) * 0.1)) })
        XCTAssertEqual(feed(&health, seconds(4, { _ in 0 })).count, 1)
        XCTAssertEqual(feed(&health, voice), ["gives sound again"])
        for _ in 0..<5 {
            XCTAssertEqual(feed(&health, seconds(4, { _ in 0 })), [], "back within a minute: not said again")
            XCTAssertEqual(feed(&health, voice), [])
        }
        XCTAssertEqual(feed(&health, seconds(60, { Int16(3000 * sin(Double($0) * 0.1)) })), [])
        let again = feed(&health, seconds(4, { _ in 0 }))
        XCTAssertEqual(again.count, 1, "a minute of sound, then silence: said again")
        XCTAssertTrue(again.first?.contains("digital silence") ?? false)
        XCTAssertEqual(feed(&health, voice), ["gives sound again"])
    }

    func testAStuckInputClippingAndOffset() {
        var health = MicrophoneHealth()
        XCTAssertTrue(feed(&health, seconds(4, { _ in 1234 })).first?.contains("never moves") ?? false)
        var clipped = feed(&health, seconds(1, { $0 % 100 == 0 ? .max : Int16(2000 * sin(Double($0) * 0.05)) }))
        XCTAssertTrue(clipped.contains("gives sound again"), "\(clipped)")
        XCTAssertTrue(clipped.contains { $0.hasPrefix("clips") }, "\(clipped)")
        clipped = feed(&health, seconds(1, { Int16(2000 * sin(Double($0) * 0.05)) }))
        XCTAssertEqual(clipped, ["no longer clips"])
        let offset = feed(&health, seconds(1, { 4000 + Int16(500 * sin(Double($0) * 0.05)) }))
        XCTAssertEqual(offset.count, 1)
        XCTAssertTrue(offset[0].contains("DC offset of 12%"), offset[0])
        // Ordinary speech-like sound: nothing to say.
        var quiet = MicrophoneHealth()
        XCTAssertEqual(feed(&quiet, seconds(5, { Int16(800 * sin(Double($0) * 0.02)) })), [])
    }

    /// The English phrases, the tilted stops, and who acts first.
    func testStopPhrasesActAtOnceAndTheOthersWhenHeardAgain() {
        var commands = VoiceCommands.english
        XCTAssertEqual(commands.command(of: "help"), .stop)
        XCTAssertEqual(commands.command(of: "stop stop"), .stop)
        XCTAssertTrue(commands.allPhrases.contains("help") && commands.allPhrases.contains("upturn stop"))
        XCTAssertEqual(commands.threshold(for: "upturn stop"), -.infinity)
        XCTAssertEqual(commands.threshold(for: "help"), -.infinity)
        XCTAssertEqual(commands.threshold(for: "upturn pause"), SpeechRecognizer.foundAgain)
        commands.thresholds["upturn stop"] = 5
        XCTAssertEqual(commands.threshold(for: "upturn stop"), 5, "a pack's threshold wins")
        var snapshot = PlayerSnapshot()
        snapshot.inverted = true
        XCTAssertTrue(SessionStatus.playing(snapshot).isTilted)
        snapshot.inverted = false
        XCTAssertFalse(SessionStatus.playing(snapshot).isTilted)
        XCTAssertFalse(SessionStatus.waiting(ServeWaiting(audioReady: true)).isTilted)
    }
}

/// Barge-in (issue 19): someone talking over the player ducks it 15 dB within 50 ms; what
/// was played, ducked, is the echo reference; with nobody talking the samples pass untouched.
final class BargeInTests: XCTestCase {
    func testDuckingRampsDownAndBackAndTheReferenceFollows() throws {
        let memory = MemorySink(rate: 16_000)
        let reference = EchoReference(rate: 16_000)
        let sink = reference.tap(memory)
        let block = [Int16](repeating: 10_000, count: 1600)
        try block.withUnsafeBufferPointer { try sink.write($0) }
        XCTAssertEqual(memory.samples, block, "untouched while nobody talks")
        reference.duck(forSeconds: 0.3)
        try block.withUnsafeBufferPointer { try sink.write($0) }
        let ducked = Array(memory.samples[1600...])
        XCTAssertEqual(ducked[0], 10_000)
        XCTAssertEqual(ducked[800...].allSatisfy { $0 == 1778 }, true, "-15 dB after 50 ms")
        var heard: [Float] = []
        reference.frames(from: 1600, count: 1600, into: &heard)
        XCTAssertEqual(heard.map { Int16(($0 * 32768).rounded()) }.suffix(10), ducked.suffix(10), "the reference is what played")
        usleep(400_000)
        try block.withUnsafeBufferPointer { try sink.write($0) }
        let back = Array(memory.samples[3200...])
        XCTAssertLessThan(back[0], 2000)
        XCTAssertEqual(back[800...].allSatisfy { $0 == 10_000 }, true, "back to full after the duck")
    }
}

/// The player never commands itself (issue 19, item 5): a phrase heard while the player says
/// its words needs a score, not only to be heard.
final class OwnWordsTests: XCTestCase {
    func heard(_ phrase: String, overPlayer: Bool) -> HeardCommand {
        HeardCommand(
            hypothesis: SpeechRecognizer.Hypothesis(phrase: phrase, score: 1, end: 1, accepted: true),
            command: VoiceCommands.english.command(of: phrase), overPlayer: overPlayer)
    }

    func testThePlayersOwnWordsAskForMore() {
        XCTAssertEqual(VoiceCommands.ownWords(of: "upturn back", in: "Tilt back slowly to 30 degrees."), ["back"])
        XCTAssertEqual(VoiceCommands.ownWords(of: "upturn next", in: "Welcome to Upturn. Lean back."), ["upturn"])
        XCTAssertEqual(VoiceCommands.ownWords(of: "stop stop", in: "Stop at about 30 degrees"), ["stop", "stop"])
        XCTAssertEqual(VoiceCommands.ownWords(of: "upturn pause", in: "Arms overhead, hold for two minutes"), [])
        XCTAssertEqual(VoiceCommands.ownWords(of: "upturn back", in: "backward"), [], "whole words only")
        XCTAssertEqual(VoiceCommands.ownWords(of: "upturn stop", in: ""), [])

        let saying = "Tilt back slowly to 30 degrees."
        let rule = OwnWordsRule(phrases: VoiceCommands.english.allPhrases, model: nil)
        // The player was talking over the phrase, and said its word: the rule applies.
        XCTAssertEqual(rule.ownWords(of: heard("upturn back", overPlayer: true), saying: saying, echoCancelled: true), ["back"])
        // The echo reference says the player was silent over the phrase: heard as in silence.
        XCTAssertNil(rule.ownWords(of: heard("upturn back", overPlayer: false), saying: saying, echoCancelled: true))
        // No reference to tell: the timeline alone decides.
        XCTAssertEqual(rule.ownWords(of: heard("upturn back", overPlayer: false), saying: saying, echoCancelled: false), ["back"])
        // Not the player's words.
        XCTAssertNil(rule.ownWords(of: heard("upturn pause", overPlayer: true), saying: saying, echoCancelled: true))
        XCTAssertGreaterThan(OwnWordsRule.score, 0)
    }

    /// What a session does with a heard command (`OwnWordsRule.judge`): the score is taken
    /// only when the player's own words ask for it.
    func testASessionJudgesACommandByItsScoreTheTiltAndThePlayersWords() {
        let rule = OwnWordsRule(phrases: VoiceCommands.english.allPhrases, model: nil)
        var scorings = 0
        func judge(_ item: HeardCommand, score: Double, saying: String = "", tilted: Bool = true) -> OwnWordsRule.Verdict {
            rule.judge(item, saying: saying, echoCancelled: true, tilted: tilted) {
                scorings += 1
                var scored = item
                scored.hypothesis.score = score
                return scored
            }
        }
        var under = heard("upturn back", overPlayer: true)
        under.hypothesis.accepted = false
        XCTAssertEqual(judge(under, score: 9), .ignored("heard \"upturn back\" with score 1.0, under its threshold; ignored"))
        XCTAssertEqual(judge(heard("upturn back", overPlayer: true), score: 9, saying: "Rest."), .act(scored: nil))
        XCTAssertEqual(scorings, 0, "no score taken when the player did not say its words")
        XCTAssertEqual(
            judge(heard("upturn back", overPlayer: true), score: 2.5, saying: "Tilt back slowly."),
            .ignored("heard \"upturn back\" (score 2.5) while the player said \"back\"; taken for its own words (say it again)"))
        guard case .act(let scored?) = judge(heard("upturn back", overPlayer: true), score: 3, saying: "Tilt back slowly.") else {
            return XCTFail("a score of 3 is acted on")
        }
        XCTAssertEqual(scored.hypothesis.score, 3)
        XCTAssertEqual(scorings, 2)
        var help = heard("help", overPlayer: false)
        help.onlyTilted = true
        XCTAssertEqual(judge(help, score: 9, tilted: false), .ignored("heard \"help\" while upright; it stops only while tilted"))
        XCTAssertEqual(judge(help, score: 9), .act(scored: nil))
        help.overPlayer = true
        XCTAssertEqual(
            judge(help, score: 9),
            .ignored("heard \"help\" while the player was talking; taken for its own words (say it again, or \"upturn stop\")"))
    }

    /// Words that sound like the phrase's count as the player's own (the room's first-time
    /// took "Slowly return upright" for "upturn resume"), for every command but stop.
    func testWordsThatSoundLikeThePhrasesCountButNotForStop() {
        XCTAssertTrue(VoiceCommands.soundAlike(["AH", "P", "T", "ER", "N"], ["AH", "P", "R", "AY", "T"]), "the same two first phones")
        XCTAssertTrue(VoiceCommands.soundAlike(["AH", "P", "T", "ER", "N"], ["R", "IH", "T", "ER", "N"]), "the same two last phones")
        XCTAssertFalse(VoiceCommands.soundAlike(["P", "AO", "Z"], ["HH", "OW", "L", "D"]))
        XCTAssertFalse(VoiceCommands.soundAlike(["AH"], ["AH", "P"]), "one phone is too little to go on")
        XCTAssertFalse(VoiceCommands.soundAlike(["B", "IY"], ["S", "IY"]), "two last phones of two-phone words: too little")
        let fake: [String: [[String]]] = ["upturn": [["AH", "P", "T", "ER", "N"]], "upright": [["AH", "P", "R", "AY", "T"]]]
        XCTAssertEqual(VoiceCommands.ownWords(of: "upturn pause", in: "Come upright", sounds: { fake[$0] }), ["upturn"])
        XCTAssertEqual(VoiceCommands.ownWords(of: "upturn pause", in: "Come upright"), [], "without pronunciations, letters only")

        let upright = "Slowly return upright."
        let rule = OwnWordsRule(phrases: VoiceCommands.english.allPhrases, model: SpeechRecognizer.defaultModel)
        // Before the session is followed, letters only: a command's path never reads the dictionary.
        XCTAssertNil(rule.ownWords(of: heard("upturn resume", overPlayer: true), saying: upright, echoCancelled: true))
        XCTAssertEqual(rule.dictionaryReads, 0)
        let words = PlayerWords(Self.timeline(["Tilt back slowly.", "Stay still."], closing: upright))
        XCTAssertEqual(Set(words.vocabulary), ["tilt", "back", "slowly", "stay", "still", "return", "upright"])
        rule.follow(words)
        XCTAssertEqual(rule.dictionaryReads, 1, "a session's words and the phrases', in one read")
        XCTAssertEqual(rule.ownWords(of: heard("upturn resume", overPlayer: true), saying: upright, echoCancelled: true), ["upturn", "resume"])
        XCTAssertNil(rule.ownWords(of: heard("upturn resume", overPlayer: false), saying: upright, echoCancelled: true))
        // Stop: its own words only ("stay" and "still" begin as "stop" does).
        XCTAssertNil(rule.ownWords(of: heard("upturn stop", overPlayer: true), saying: "Stay still.", echoCancelled: true))
        XCTAssertEqual(rule.ownWords(of: heard("upturn stop", overPlayer: true), saying: "Stop here.", echoCancelled: true), ["stop"])
        // A word the session does not say is not looked up on the command's path.
        XCTAssertEqual(rule.ownWords(of: heard("upturn next", overPlayer: true), saying: "Rest your neck.", echoCancelled: true), nil)
        rule.follow(words)
        XCTAssertEqual(rule.dictionaryReads, 1, "the same session is not looked up again")
        rule.follow(PlayerWords(Self.timeline(["Rest your neck."], closing: upright)))
        XCTAssertEqual(rule.dictionaryReads, 2, "the next session's new words are")
        XCTAssertEqual(rule.ownWords(of: heard("upturn next", overPlayer: true), saying: "Rest your neck.", echoCancelled: true), ["next"])

        let pronunciations = Pronunciations(model: SpeechRecognizer.defaultModel)
        pronunciations.prepare(["upright", "zzqx"])
        XCTAssertEqual(pronunciations.known("upright"), [["AH", "P", "R", "AY", "T"]])
        XCTAssertNil(pronunciations.known("upturn"), "known never reads")
        // Nothing to hear it by: a model folder without a dictionary, a word not in it.
        let nothing = Pronunciations(model: "/nonexistent")
        nothing.prepare(["upright"])
        XCTAssertEqual(nothing.known("upright"), [])
        XCTAssertEqual(pronunciations.known("zzqx"), [])
    }

    /// A timeline that says `texts` one a second, and `closing` when stopped.
    static func timeline(_ texts: [String], closing: String) -> Timeline {
        func said(_ text: String, at second: Int) -> TimelineEvent {
            TimelineEvent(frame: second * 16_000, kind: .speech, key: "say", text: text, step: 0, clip: .speech(text: text, voice: VoiceSettings()), length: 8000, angle: 0, inverted: false)
        }
        return Timeline(
            rate: 16_000, frames: texts.count * 16_000, events: texts.enumerated().map { said($1, at: $0) }, steps: [],
            closing: [said(closing, at: 0)], closingFrames: 16_000)
    }
}
