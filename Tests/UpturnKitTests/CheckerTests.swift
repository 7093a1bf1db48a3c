import Foundation
import XCTest

@testable import UpturnKit

/// `check` reports everything `play` would refuse, each with its file named.
final class CheckerTests: XCTestCase {
    func wav(rate: Int = 16_000, channels: UInt8 = 1, samples: [Int16]) -> [UInt8] {
        var header = WAVFileSink.header(rate: rate, dataBytes: samples.count * 2)
        header[22] = channels
        return header + samples.flatMap { [UInt8(UInt16(bitPattern: $0) & 0xFF), UInt8(UInt16(bitPattern: $0) >> 8)] }
    }

    func testEveryRecordingAndSoundOfAPackIsDecoded() throws {
        let folder = temporaryFolder()
        let files: [String: [UInt8]] = [
            "empty.wav": [],
            "garbage.wav": Array("this is not audio at all, not even close".utf8),
            "header-only.wav": WAVFileSink.header(rate: 16_000, dataBytes: 0),
            "no-channels.wav": wav(channels: 0, samples: [1, 2, 3]),
            "rate-zero.wav": wav(rate: 0, samples: [1, 2, 3]),
            "silent.wav": wav(samples: [Int16](repeating: 0, count: 16_000)),
            "fine.wav": wav(samples: (0..<16_000).map { Int16(8000 * sin(Double($0) / 10)) }),
        ]
        for (name, bytes) in files { FileManager.default.createFile(atPath: folder + "/" + name, contents: Data(bytes)) }
        mkfifo(folder + "/fifo.wav", 0o600)
        mkdir(folder + "/folder.wav", 0o755)
        // Over 64 MB, without writing 64 MB: a sparse file.
        FileManager.default.createFile(atPath: folder + "/huge.wav", contents: nil)
        truncate(folder + "/huge.wav", 65 * 1024 * 1024)
        let pack = """
            {name: "bad", cues: {
              "hold.halfway": {file: "empty.wav"}, "hold.end": {file: "garbage.wav"}, "rest.start": {file: "header-only.wav"},
              "reps.done": {file: "no-channels.wav"}, "tilt.upright": {file: "rate-zero.wav"}, "session.end": {file: "silent.wav"},
              "wait.reminder": {file: "fifo.wav"}, "tilt.back": {file: "folder.wav"}, "hold.left": {file: "huge.wav"},
              "session.welcome": {file: "fine.wav"},
            }, sounds: {bell: "silent.wav"}}
            """
        FileManager.default.createFile(atPath: folder + "/pack.json5", contents: Data(pack.utf8))
        XCTAssertThrowsError(try Checker.checkPack(folder: folder)) { error in
            let error = error as! UpturnError
            XCTAssertEqual(error.code, .dataError)
            let text = error.description
            for name in ["empty", "garbage", "header-only", "no-channels", "rate-zero", "silent", "fifo", "folder", "huge"] {
                XCTAssertTrue(text.contains(folder + "/" + name + ".wav"), "\(name) not named in:\n\(text)")
            }
            XCTAssertFalse(text.contains("fine.wav"), text)
            XCTAssertEqual(error.problems.filter { $0.contains("silent.wav") }.count, 1, "a file is checked once")
        }
    }

    func testAnEmptyTemplateOrSayIsRefusedWithItsPlace() throws {
        let folder = temporaryFolder()
        FileManager.default.createFile(atPath: folder + "/pack.json5", contents: Data("{cues: {\"hold.halfway\": \"\"}}".utf8))
        XCTAssertThrowsError(try Checker.checkPack(folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("pack.json5:1:25: cues.hold.halfway: no words to say"), "\(error)")
        }
        XCTAssertThrowsError(try PlanReader.parse("{title: 'x', steps: [{say: ' ... '}]}", file: "p.json5")) { error in
            XCTAssertTrue("\(error)".contains("p.json5:1:28: steps[0].say: no words to say"), "\(error)")
        }
    }

    func testMusicThatIsNotAFileIsFoundByCheck() throws {
        let plan = temporaryFolder() + "/music.json5"
        FileManager.default.createFile(atPath: plan, contents: Data("{title: 'M', music: '/dev/urandom', steps: [{rest: 5}]}".utf8))
        XCTAssertThrowsError(try Checker.check(plan)) { error in
            XCTAssertTrue("\(error)".contains("/dev/urandom: cannot read music: it is a device"), "\(error)")
        }
    }

    /// Near the inverted-time cap, `check` and `play` agree, plan by plan: check lays the plan
    /// out with the clips' true lengths, as play does (it guessed them before, and passed
    /// plans that play refused).
    func testCheckAndPlayAgreeOnTheCap() throws {
        let folder = temporaryFolder()
        var verdicts: [(check: Bool, play: Bool)] = []
        for hold in stride(from: 30, through: 52, by: 2) {
            let file = folder + "/cap-\(hold).json5"
            let text = "{title: 'Cap', maxInverted: '1m', steps: [{tilt: 30, settle: '2s'}, {hold: \(hold), halfway: false}, {tilt: 0}]}"
            FileManager.default.createFile(atPath: file, contents: Data(text.utf8))
            let checked = (try? Checker.check(file)) != nil
            let played = (try? Session.prepare(plan: file, pack: nil, rate: Session.defaultRate)) != nil
            verdicts.append((checked, played))
        }
        XCTAssertTrue(verdicts.allSatisfy { $0.check == $0.play }, "\(verdicts)")
        XCTAssertTrue(verdicts.contains { $0.play } && verdicts.contains { !$0.play }, "the range crosses the cap: \(verdicts)")
    }
}
