import XCTest

@testable import UpturnKit

final class VoiceTests: XCTestCase {
    func testEspeakSpeaksInProcess() throws {
        let engine = try EspeakSynthesizer()
        XCTAssertGreaterThan(engine.nativeRate, 8000)
        let samples = try engine.synthesize("Tilt back slowly to thirty degrees.", voice: VoiceSettings())
        XCTAssertGreaterThan(samples.count, engine.nativeRate / 2)
        XCTAssertGreaterThan(samples.map { abs(Int($0)) }.max() ?? 0, 1000)
        XCTAssertTrue(engine.engineVersion.hasPrefix("espeak-ng"))
    }

    /// espeak-ng takes a C string: a NUL inside a text ended it there ("a\u{0}b" said "a").
    func testANulInsideATextIsNotTheEndOfIt() throws {
        let synthesizer = try EspeakSynthesizer()
        let voice = VoiceSettings()
        let cut = try synthesizer.synthesize("Slowly\u{0} return upright.", voice: voice).count
        let whole = try synthesizer.synthesize("Slowly return upright.", voice: voice).count
        let first = try synthesizer.synthesize("Slowly", voice: voice).count
        XCTAssertGreaterThan(cut, first * 2, "the words after the NUL were said")
        XCTAssertEqual(Double(cut), Double(whole), accuracy: Double(whole) * 0.2)
    }

    func testAMissingVoiceNamesCloseMatches() throws {
        let engine = try EspeakSynthesizer()
        XCTAssertThrowsError(try engine.synthesize("Hello", voice: VoiceSettings(name: "en-uss"))) { error in
            let e = error as! UpturnError
            XCTAssertEqual(e.code, .unavailable)
            XCTAssertTrue(e.description.contains("no espeak-ng voice 'en-uss'"), e.description)
            XCTAssertTrue(e.description.contains("en-us"), e.description)
        }
        // The engine still works afterwards, in the right voice.
        XCTAssertFalse(try engine.synthesize("Hello", voice: VoiceSettings(name: "en-us")).isEmpty)
    }

    func testShapingTrimsSilenceAndFades() {
        let rate = 48_000
        var raw = [Float](repeating: 0, count: rate)
        for i in 10_000..<20_000 { raw[i] = 0.5 }
        let clip = ClipShaping.shape(raw, rate: rate)
        let preRoll = rate * ClipShaping.preRollMilliseconds / 1000
        let tail = rate * ClipShaping.tailMilliseconds / 1000
        XCTAssertEqual(clip.count, preRoll + 10_000 + tail)
        XCTAssertEqual(clip.first, 0)
        XCTAssertEqual(clip.last, 0)
        XCTAssertEqual(clip[preRoll + 5000], ClipShaping.toInt16(0.5))
        XCTAssertTrue(ClipShaping.shape([Float](repeating: 0.0001, count: 100), rate: rate).isEmpty)
    }

    func testResamplerKeepsLengthAndPitch() throws {
        let input = (0..<22_050).map { Float(sin(2 * Double.pi * 440 * Double($0) / 22_050)) * 0.5 }
        let output = try Resampler.resample(input, from: 22_050, to: 48_000)
        XCTAssertEqual(Double(output.count), 48_000, accuracy: 50)
        var crossings = 0
        for i in 1..<output.count where (output[i - 1] < 0) != (output[i] < 0) { crossings += 1 }
        XCTAssertEqual(Double(crossings), 880, accuracy: 4)
    }

    func testDecodesTheShippedChimes() throws {
        let bell = try AudioDecoder.decode(XCTUnwrap(UpturnSoundsFile("en/bell.flac")), name: "bell")
        XCTAssertEqual(bell.rate, 48_000)
        XCTAssertGreaterThan(bell.samples.count, 40_000)
    }

    func testCorruptAudioIsAClearError() {
        for (name, bytes) in [("empty", [UInt8]()), ("garbage", Array("not audio at all".utf8)), ("truncated", Array(UpturnSoundsFile("en/bell.flac")!.prefix(60)))] {
            XCTAssertThrowsError(try AudioDecoder.decode(bytes, name: name), name) { error in
                XCTAssertEqual((error as! UpturnError).code, .dataError, name)
                XCTAssertTrue((error as! UpturnError).description.hasPrefix("\(name): "), (error as! UpturnError).description)
            }
        }
    }

    func testPromptCacheRoundTripsAndRefusesDamage() throws {
        let folder = temporaryFolder()
        let cache = try XCTUnwrap(PromptCache(folder: folder))
        let samples: [Int16] = [0, 1, -1, 32767, -32768]
        cache.store(samples, for: "key one")
        XCTAssertEqual(cache.samples(for: "key one"), samples)
        XCTAssertEqual(cache.length(for: "key one"), 5)
        XCTAssertNil(cache.samples(for: "key two"))
        // A torn file is a miss, not garbage audio.
        let path = cache.path(for: "key one")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count - 1).write(to: URL(fileURLWithPath: path))
        XCTAssertNil(cache.samples(for: "key one"))
        XCTAssertNil(PromptCache(folder: "/proc/no-such/upturn"))
    }

    /// One flipped bit anywhere in a cached clip: a miss (made again), never noise, and never
    /// a length that turns a ten-second session into six hours.
    func testAFlippedBitInACachedClipIsAMiss() throws {
        let folder = temporaryFolder()
        let cache = try XCTUnwrap(PromptCache(folder: folder))
        let samples = (0..<1000).map { Int16($0 * 7 % 3000) }
        cache.store(samples, for: "flip")
        let path = cache.path(for: "flip")
        let clean = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func flipped(_ byte: Int, _ bit: Int) throws {
            var bytes = clean
            bytes[byte] ^= UInt8(1 << bit)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        // In a sample: the checksum finds it, and the damaged file is removed.
        try flipped(clean.count - 100, 3)
        XCTAssertEqual(cache.length(for: "flip"), 1000, "the header is still whole")
        XCTAssertNil(cache.samples(for: "flip"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        // In the length: it no longer matches the file's size, nor the header's seal.
        let lengthAt = clean.count - 2000 - 8 - 8 - 4
        for bit in [0, 4, 9, 20, 30] {
            try flipped(lengthAt + bit / 8, bit % 8)
            XCTAssertNil(cache.length(for: "flip"), "bit \(bit)")
            XCTAssertNil(cache.samples(for: "flip"), "bit \(bit)")
        }
        try Data(clean).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(cache.samples(for: "flip"), samples)
        // A library measuring a damaged clip makes it again, at its true length.
        let library = ClipLibrary(rate: 48_000, cache: cache)
        let clip = ClipSource.speech(text: "Halfway.", voice: VoiceSettings())
        let length = try library.frames(of: clip)
        let stored = cache.path(for: library.cacheKey(clip))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: stored)))
        bytes[bytes.count - 10] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: stored))
        let again = ClipLibrary(rate: 48_000, cache: cache)
        XCTAssertEqual(try again.frames(of: clip), length)
        XCTAssertEqual(try again.samples(of: clip).count, length)
        XCTAssertEqual(again.made, 1, "the damaged clip was made again")
    }

    /// The probe's damage: a header that claims half its frames, the file cut to match, the
    /// checksum stale. It is a miss; the clip is made again at its true length, stored whole,
    /// and every later library measures it whole (it once played half of "Slowly return
    /// upright" until the cache was deleted).
    func testAHeaderClaimingHalfItsFramesIsAMissAndNeverCutsTheClip() throws {
        let folder = temporaryFolder()
        let cache = try XCTUnwrap(PromptCache(folder: folder))
        let clip = ClipSource.speech(text: "Slowly return upright.", voice: VoiceSettings())
        let whole = try ClipLibrary(rate: 48_000, cache: cache).frames(of: clip)
        let path = cache.path(for: ClipLibrary(rate: 48_000, cache: cache).cacheKey(clip))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let body = whole * 2
        let lengthAt = bytes.count - body - 8 - 8 - 4
        let half = UInt32(whole / 2)
        for i in 0..<4 { bytes[lengthAt + i] = UInt8((half >> (8 * UInt32(i))) & 0xFF) }
        try Data(bytes.prefix(bytes.count - body + Int(half) * 2)).write(to: URL(fileURLWithPath: path))

        XCTAssertNil(cache.length(for: ClipLibrary(rate: 48_000, cache: cache).cacheKey(clip)), "a length from a damaged header")
        // Made again, at its true length (speech is a function of its text alone).
        let library = ClipLibrary(rate: 48_000, cache: cache)
        let remade = try library.frames(of: clip)
        XCTAssertEqual(remade, whole)
        XCTAssertEqual(try library.samples(of: clip).count, remade)
        XCTAssertEqual(library.made, 1)
        let later = ClipLibrary(rate: 48_000, cache: cache)
        XCTAssertEqual(try later.frames(of: clip), remade, "stored back whole")
        XCTAssertEqual(try later.samples(of: clip).count, remade)
        XCTAssertEqual(later.made, 0)
    }

    /// A timeline laid out with another length (a clip re-made after its cached samples were
    /// lost) keeps to its own length, but the cache keeps the clip as made.
    func testAClipIsNeverStoredShorterThanItWasMade() throws {
        let folder = temporaryFolder()
        let cache = try XCTUnwrap(PromptCache(folder: folder))
        let clip = ClipSource.speech(text: "Ten seconds.", voice: VoiceSettings())
        let first = ClipLibrary(rate: 48_000, cache: cache)
        let whole = try first.frames(of: clip)
        let key = first.cacheKey(clip)
        // The stored clip is now shorter than a re-made one (as an older engine's might be).
        let short = Array(try XCTUnwrap(cache.samples(for: key)).prefix(whole - 4800))
        cache.store(short, for: key)
        let library = ClipLibrary(rate: 48_000, cache: cache)
        XCTAssertEqual(try library.frames(of: clip), whole - 4800)
        // Its samples are lost: the clip is made again, fitted to this timeline's length...
        let samplesPath = cache.path(for: key)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: samplesPath)))
        bytes[bytes.count - 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: samplesPath))
        XCTAssertEqual(try library.samples(of: clip).count, whole - 4800)
        // ...but stored as made.
        XCTAssertEqual(cache.length(for: key), whole)
    }

    func testASecondRunSynthesizesNothing() throws {
        let folder = temporaryFolder()
        let plan = try XCTUnwrap(try BuiltinPrograms.plan("core"))
        let pack = try PackReader.builtinDefault()
        let first = ClipLibrary(rate: 48_000, cache: PromptCache(folder: folder))
        let a = try TimelineCompiler(plan: plan, pack: pack, rate: 48_000, measure: first).compile()
        XCTAssertGreaterThan(first.made, 10)
        let second = ClipLibrary(rate: 48_000, cache: PromptCache(folder: folder)) { () throws(UpturnError) -> any Synthesizer in
            XCTFail("the second run started the synthesizer")
            return try EspeakSynthesizer()
        }
        let b = try TimelineCompiler(plan: plan, pack: pack, rate: 48_000, measure: second).compile()
        XCTAssertEqual(second.made, 0)
        XCTAssertEqual(a, b)
        for event in b.cues { XCTAssertEqual(try second.samples(of: event.clip!).count, event.length) }
        XCTAssertEqual(second.made, 0)
    }
}

import UpturnSounds

func UpturnSoundsFile(_ path: String) -> [UInt8]? { ShippedSounds.file(path) }

final class AudioLimitTests: XCTestCase {
    /// A tiny WAV whose header claims two billion bytes of sound: what is there is read,
    /// and nothing near the claim is allocated.
    func testAHeaderThatLiesAboutItsLength() throws {
        var wav = WAVFileSink.header(rate: 48_000, dataBytes: 0x7FFF_FFF0)
        wav += [UInt8](repeating: 1, count: 64)
        let decoded = try AudioDecoder.decode(wav, name: "liar.wav")
        XCTAssertEqual(decoded.samples.count, 32)
    }

    /// Ten minutes at most, however high the rate.
    func testTooLongIsRefused() {
        var wav = WAVFileSink.header(rate: 8000, dataBytes: 8000 * 2 * 601)
        wav += [UInt8](repeating: 0, count: 8000 * 2 * 601)
        XCTAssertThrowsError(try AudioDecoder.decode(wav, name: "long.wav")) { error in
            XCTAssertEqual((error as! UpturnError).code, .dataError)
            XCTAssertEqual((error as! UpturnError).description, "long.wav: longer than 10 minutes; a cue should be short")
        }
    }
}

/// A prompt's samples are a function of its text and voice alone, whatever was said before
/// (issue 18: espeak-ng's state between utterances moved a clip by up to 44 ms, so a cache
/// made in a cold batch and one re-made alone differed).
final class SpeechDeterminismTests: XCTestCase {
    func testSpeechIsAFunctionOfItsTextAlone() throws {
        let synthesizer = try EspeakSynthesizer()
        let voice = VoiceSettings()
        let text = "Slowly return upright."
        let alone = try synthesizer.synthesize(text, voice: voice)
        XCTAssertGreaterThan(alone.count, 10_000)
        for before in ["Welcome to your session. Stand on the base.", "Halfway.", "Tilt back slowly to thirty degrees, and hold.", "One"] {
            _ = try synthesizer.synthesize(before, voice: voice)
            XCTAssertEqual(try synthesizer.synthesize(text, voice: voice), alone, "after \"\(before)\"")
        }
        // Another voice between does not change it either.
        _ = try synthesizer.synthesize("Guten Tag.", voice: VoiceSettings(name: "de", rate: 150, pitch: 40, volume: 100))
        XCTAssertEqual(try synthesizer.synthesize(text, voice: voice), alone)
        // Side by side, the same samples as one by one, in order.
        let texts = ["One", "Halfway.", text, "Ten seconds."]
        XCTAssertEqual(try synthesizer.synthesizeAll(texts, voice: voice), try texts.map { try synthesizer.synthesize($0, voice: voice) })
        // An unknown voice is still the voice error, with close matches.
        XCTAssertThrowsError(try synthesizer.synthesize("x", voice: VoiceSettings(name: "en-uss", rate: 160, pitch: 50, volume: 100))) { error in
            XCTAssertTrue("\(error)".contains("no espeak-ng voice 'en-uss'"), "\(error)")
        }
    }


    /// A session's cold prompts are made side by side before the layout measures them: the
    /// same clips, none made twice.
    func testPrefetchMakesTheSameClipsOnce() throws {
        let voice = VoiceSettings()
        let sources = ["Stand on the base.", "Halfway.", "Ten seconds.", "Halfway."].map { ClipSource.speech(text: $0, voice: voice) }
        let ahead = ClipLibrary(rate: 48_000, cache: PromptCache(folder: temporaryFolder()))
        ahead.prefetch(sources + [.audio(.embedded(path: "en/bell.flac"))])
        XCTAssertEqual(ahead.made, 3)
        let alone = ClipLibrary(rate: 48_000, cache: PromptCache(folder: temporaryFolder()))
        for source in sources {
            XCTAssertEqual(try ahead.samples(of: source), try alone.samples(of: source))
        }
        XCTAssertEqual(ahead.made, 3, "nothing made twice")
    }
}
