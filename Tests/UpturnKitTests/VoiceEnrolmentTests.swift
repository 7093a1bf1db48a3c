import XCTest

@testable import UpturnKit

/// Enrolment's parts that need no model: cutting a recording into its phrases, the
/// transform's format, and the model's compressed mixture weights turned back.
final class VoiceEnrolmentTests: XCTestCase {
    /// `seconds` of a vowel-like sound at `dBFS` RMS (a 180 Hz buzz with harmonics).
    func burst(_ seconds: Double, dBFS: Double) -> [Int16] {
        let count = Int(seconds * 16_000)
        let amplitude = 32768 * pow(10, dBFS / 20) * 1.2
        return (0..<count).map { i in
            let t = Double(i) / 16_000
            let x = sin(2 * .pi * 180 * t) + 0.5 * sin(2 * .pi * 360 * t) + 0.3 * sin(2 * .pi * 900 * t)
            return Int16(max(-32767, min(32767, amplitude * x / 1.2)))
        }
    }

    /// Seeded noise at `dBFS` RMS (a fan, or a microphone's own floor).
    func noise(_ seconds: Double, dBFS: Double, seed: inout UInt64) -> [Int16] {
        let amplitude = 32768 * pow(10, dBFS / 20) * 1.73
        return (0..<Int(seconds * 16_000)).map { _ in
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int16(amplitude * (Double(seed >> 11) / Double(1 << 53) * 2 - 1))
        }
    }

    func mix(_ a: [Int16], _ b: [Int16]) -> [Int16] {
        zip(a, b).map { Int16(max(-32767, min(32767, Int($0) + Int($1)))) }
    }

    func cut(_ audio: [Int16], chunk: Int = 333) -> (phrases: [[Int16]], tooLong: Int) {
        var cutter = PhraseCutter()
        var found: [[Int16]] = []
        var at = 0
        while at < audio.count {
            found += cutter.feed(Array(audio[at..<min(audio.count, at + chunk)]))
            at += chunk
        }
        found += cutter.finish()
        return (found, cutter.tooLong)
    }

    /// Phrases quiet and loud, short ("help", 0.14 s) and with a short gap inside (two words),
    /// in a quiet room and beside a fan 15 dB under the speech: one each, with some lead and
    /// tail; a click is none, and a long talk is none (counted).
    func testARecordingIsCutIntoItsPhrases() {
        for (floor, speech) in [(-75.0, -45.0), (-75.0, -12.0), (-45.0, -30.0)] {
            var seed: UInt64 = 7
            var audio: [Int16] = []
            var starts: [Int] = []
            func quiet(_ s: Double) { audio += noise(s, dBFS: floor, seed: &seed) }
            func say(_ parts: [Array<Int16>]) {
                starts.append(audio.count)
                for (i, part) in parts.enumerated() {
                    if i > 0 { quiet(0.3) }
                    audio += mix(part, noise(Double(part.count) / 16_000, dBFS: floor, seed: &seed))
                }
            }
            quiet(1.5)
            say([burst(0.14, dBFS: speech)])  // help
            quiet(1.5)
            say([burst(0.4, dBFS: speech), burst(0.5, dBFS: speech)])  // upturn ... stop
            quiet(1.5)
            audio += burst(0.03, dBFS: speech)  // a click
            quiet(1.5)
            say([burst(0.9, dBFS: speech)])
            quiet(1.5)
            let found = cut(audio)
            let lengths = found.phrases.map { Double($0.count) / 16_000 }
            XCTAssertEqual(found.phrases.count, 3, "floor \(floor), speech \(speech): \(lengths)")
            XCTAssertEqual(found.tooLong, 0)
            for (phrase, length) in zip(found.phrases, [0.14, 1.2, 0.9]) {
                let seconds = Double(phrase.count) / 16_000
                XCTAssertGreaterThan(seconds, length + 0.4, "lead and tail kept: floor \(floor), speech \(speech): \(lengths)")
                XCTAssertLessThan(seconds, length + 0.9)
            }
        }
        var seed: UInt64 = 1
        // Talk: syllables four a second, 20 dB between their peaks and dips.
        let syllables = burst(7, dBFS: -25).enumerated().map { i, x in
            Int16(Double(x) * (0.55 + 0.45 * cos(2 * .pi * 4 * Double(i) / 16_000)))
        }
        let talk = noise(1, dBFS: -75, seed: &seed) + syllables + noise(1.5, dBFS: -75, seed: &seed)
        let found = cut(talk)
        XCTAssertEqual(found.phrases.count, 0)
        XCTAssertEqual(found.tooLong, 1)
    }

    /// The takes are given to the adaptation as the recognizer hears a command: beside a fan
    /// through the noise suppressor (the transform made beside it then fits what the
    /// recognizer is given), in a quiet room untouched; the cutter still finds phrases in the
    /// raw audio.
    func testTakesAreHeardAsTheRecognizerHearsThem() {
        func rms(_ x: ArraySlice<Int16>) -> Double { sqrt(x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, x.count))) }
        for (floor, suppressed) in [(-35.0, true), (-75.0, false)] {
            var seed: UInt64 = 3
            var room = EnrolmentRoom()
            var raw: [Int16] = [], heard: [Int16] = []
            for _ in 0..<40 {  // 4 s, in pieces that are not whole frames
                let (r, h) = room.process(noise(0.1, dBFS: floor, seed: &seed))
                raw += r
                heard += h
            }
            XCTAssertEqual(raw.count, heard.count)
            XCTAssertGreaterThan(raw.count, 60_000)
            let last = raw.count - 16_000
            if suppressed {
                XCTAssertLessThan(20 * log10(rms(heard[last...]) / rms(raw[last...])), -6, "a fan at \(floor) dBFS is taken down")
            } else {
                XCTAssertEqual(raw, heard, "a quiet room is heard as it is")
            }
        }
    }

    /// The transform as `mllr_solve` writes it is taken; cut short, not a number, or with a
    /// class count pocketsphinx would misread, it is not.
    func testATransformIsCheckedBeforeTheDecoderReadsIt() {
        let n = 2
        let stream = "\(n)\n" + Array(repeating: "1.0 0.0", count: n).joined(separator: "\n") + "\n0.1 0.2\n1.0 1.0\n"
        let good = "1\n3\n" + String(repeating: stream, count: 3)
        XCTAssertTrue(VoiceEnrolment.validTransform(good))
        XCTAssertFalse(VoiceEnrolment.validTransform(String(good.dropLast(5))))
        XCTAssertFalse(VoiceEnrolment.validTransform(good.replacingOccurrences(of: "0.2", with: "nan")))
        XCTAssertFalse(VoiceEnrolment.validTransform(good.replacingOccurrences(of: "0.2", with: "x")))
        XCTAssertFalse(VoiceEnrolment.validTransform("2\n" + good.dropFirst(2)))
        XCTAssertFalse(VoiceEnrolment.validTransform(""))
    }

    /// A small sendump (2 streams, 3 densities, 4 senones) becomes sphinxtrain's mixture
    /// weights: the header, the sizes, and each byte's weight where `bw` looks for it.
    func testSendumpBecomesMixtureWeights() throws {
        var bytes: [UInt8] = []
        func int(_ v: Int) { bytes += withUnsafeBytes(of: UInt32(v).littleEndian, Array.init) }
        func string(_ s: String) {
            int(s.utf8.count + 1)
            bytes += Array(s.utf8) + [0]
        }
        string("title")
        string("feature_count 2")
        string("mixw_shift 10")
        int(0)
        int(3)  // densities
        int(4)  // senones
        // stream, density, then one byte per senone
        var expected: [Int: UInt8] = [:]
        for stream in 0..<2 {
            for density in 0..<3 {
                for senone in 0..<4 {
                    let b = UInt8(stream * 50 + density * 10 + senone)
                    expected[(senone * 2 + stream) * 3 + density] = b
                    bytes.append(b)
                }
            }
        }
        let out = try SendumpFile.mixtureWeights(bytes)
        XCTAssertTrue(String(decoding: out.prefix(24), as: UTF8.self).hasPrefix("s3\nversion 1.0\n"))
        let start = try XCTUnwrap(bodyStart(out))
        XCTAssertEqual(start % 4, 0, "the numbers on a 4-byte boundary")
        let body = Array(out[start...])
        XCTAssertEqual(body.count % 4, 0)
        let words = stride(from: 0, to: body.count, by: 4).map {
            UInt32(body[$0]) | UInt32(body[$0 + 1]) << 8 | UInt32(body[$0 + 2]) << 16 | UInt32(body[$0 + 3]) << 24
        }
        XCTAssertEqual(Array(words.prefix(5)), [0x1122_3344, 4, 2, 3, 24])
        let weights = words.dropFirst(5).map { Float(bitPattern: $0) }
        XCTAssertEqual(weights.count, 24)
        for (index, b) in expected {
            XCTAssertEqual(Double(weights[index]), pow(1.0001, -Double(Int(b) << 10)), accuracy: 1e-6, "weight \(index)")
        }
        XCTAssertThrowsError(try SendumpFile.mixtureWeights(Array(bytes.prefix(bytes.count - 5))))
        XCTAssertThrowsError(try SendumpFile.mixtureWeights([1, 2, 3]))
    }

    /// Where the numbers begin: after the header's "endhdr\n".
    func bodyStart(_ out: [UInt8]) -> Int? {
        let marker = Array("endhdr\n".utf8)
        return (0..<min(256, out.count - marker.count)).first { Array(out[$0..<($0 + marker.count)]) == marker }.map { $0 + marker.count }
    }

    /// Debian's model: its weights come back as distributions (each senone's densities in a
    /// stream sum to about one; the bytes are rounded logarithms).
    func testTheModelsOwnSendump() throws {
        let path = SpeechRecognizer.defaultModel + "/en-us/sendump"
        let out = try SendumpFile.mixtureWeights(try FileBytes.read(path, limit: 64 << 20, what: "sendump"))
        let start = try XCTUnwrap(bodyStart(out))
        func word(_ i: Int) -> UInt32 {
            let at = start + 4 * i
            return UInt32(out[at]) | UInt32(out[at + 1]) << 8 | UInt32(out[at + 2]) << 16 | UInt32(out[at + 3]) << 24
        }
        XCTAssertEqual([word(0), word(1), word(2), word(3)], [0x1122_3344, 5126, 3, 128])
        for senone in [0, 77, 5125] {
            for stream in 0..<3 {
                let sum = (0..<128).reduce(0.0) { $0 + Double(Float(bitPattern: word(5 + (senone * 3 + stream) * 128 + $1))) }
                XCTAssertEqual(sum, 1, accuracy: 0.15, "senone \(senone) stream \(stream)")
            }
        }
    }
}
