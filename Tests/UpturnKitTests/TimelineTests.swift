import XCTest

@testable import UpturnKit

final class TimelineTests: XCTestCase {
    let holdPlan = """
        {title: "Hold", steps: [
          {tilt: 30, settle: "5s"},
          {hold: "2m", exercise: "Arms overhead", countdown: [10], cues: [{at: "30s", say: "Breathe out."}]},
          {tilt: 0},
        ]}
        """

    func testIsDeterministic() throws {
        XCTAssertEqual(try compile(holdPlan), try compile(holdPlan))
        let a = try compile(holdPlan)
        XCTAssertEqual(TimelineJSON.encode(a), TimelineJSON.encode(try compile(holdPlan)))
    }

    func testSpeechNeverOverlapsSpeech() throws {
        for name in BuiltinPrograms.names {
            let text = try XCTUnwrap(BuiltinPrograms.source(name))
            let speech = try compile(text).events.filter { $0.kind == .speech }
            for (a, b) in zip(speech, speech.dropFirst()) {
                XCTAssertLessThanOrEqual(a.end, b.frame, "\(name): '\(a.text ?? "")' overlaps '\(b.text ?? "")'")
            }
        }
    }

    func testHoldCuesFallOnTheirFrames() throws {
        let timeline = try compile(holdPlan)
        let rate = 48_000
        let intro = try XCTUnwrap(timeline.events.first { $0.key == "hold.exercise" })
        XCTAssertEqual(intro.text, "Arms overhead. Hold for 2 minutes.")
        let holdStart = intro.end
        let holdEnd = holdStart + 120 * rate
        XCTAssertEqual(timeline.events.first { $0.key == "hold.halfway" }?.frame, holdStart + 60 * rate)
        XCTAssertEqual(timeline.events.first { $0.key == "hold.left" }?.frame, holdEnd - 10 * rate)
        XCTAssertEqual(timeline.events.first { $0.key == "hold.left" }?.text, "10 seconds.")
        XCTAssertEqual(timeline.events.first { $0.text == "Breathe out." }?.frame, holdStart + 30 * rate)
        XCTAssertEqual(timeline.events.first { $0.key == "bell" }?.frame, holdEnd)
        XCTAssertEqual(timeline.events.first { $0.key == "hold.end" }?.frame, holdEnd + rate * 4 / 10)
        XCTAssertEqual(timeline.events.filter { $0.key == "beep" }.map(\.frame), [3, 2, 1].map { holdEnd - $0 * rate })
    }

    func testStepsAndInversion() throws {
        let timeline = try compile(holdPlan)
        let steps = timeline.events.filter { $0.kind == .step }
        XCTAssertEqual(steps.map(\.step), [0, 1, 2, 3, 4])
        XCTAssertEqual(steps.map(\.inverted), [false, true, true, false, false])
        XCTAssertEqual(steps.map(\.angle), [0, 30, 30, 0, 0])
        XCTAssertEqual(timeline.steps.count, 5)
        for (a, b) in zip(timeline.steps, timeline.steps.dropFirst()) { XCTAssertEqual(a.end, b.start) }
        XCTAssertEqual(timeline.steps.last?.end, timeline.frames)
        XCTAssertEqual(timeline.events.first?.kind, .step)
        // The first cue waits for the lead-in: a new stream's first milliseconds may be lost.
        XCTAssertGreaterThanOrEqual(timeline.cues.first!.frame, 48_000 / 50)
    }

    func testRepsCountAtTheTempo() throws {
        let timeline = try compile("{title: 'R', steps: [{reps: 3, exercise: 'Crunches', tempo: '2-10-3'}]}")
        let counts = timeline.events.filter { $0.key == "reps.count" }
        XCTAssertEqual(counts.map(\.text), ["1", "2", "3"])
        for (a, b) in zip(counts, counts.dropFirst()) { XCTAssertEqual(b.frame - a.frame, 15 * 48_000) }
        let ticks = timeline.events.filter { $0.key == "tick" }
        XCTAssertEqual(ticks.count, 6)
        XCTAssertEqual(ticks[0].frame, counts[0].frame + 2 * 48_000)
        XCTAssertEqual(ticks[1].frame, counts[0].frame + 12 * 48_000)
        XCTAssertEqual(timeline.events.last { $0.kind == .speech && $0.key == "reps.done" }?.text, "That's 3. Relax.")
    }

    func testAPlanEndingTiltedIsBroughtUpright() throws {
        let timeline = try compile("{title: 'T', steps: [{tilt: 20}, {hold: '30s'}]}")
        let keys = timeline.events.filter { $0.kind == .speech }.map(\.key)
        XCTAssertEqual(Array(keys.suffix(2)), ["session.upright", "session.end"])
    }

    func testClosingSegmentSaysReturnUpright() throws {
        let timeline = try compile(holdPlan)
        XCTAssertEqual(timeline.closing.map(\.key), ["session.upright", "session.end"])
        XCTAssertGreaterThan(timeline.closingFrames, timeline.closing.last!.end)
    }

    func testInvertedCapIsEnforced() throws {
        let long = "{title: 'L', steps: [{tilt: 30}, {hold: '4m'}, {hold: '2m'}, {tilt: 0}]}"
        XCTAssertThrowsError(try compile(long)) { error in
            let e = error as! UpturnError
            XCTAssertEqual(e.code, .dataError)
            XCTAssertTrue(e.description.contains("steps[0]...steps[3]: inverted for"), e.description)
            XCTAssertTrue(e.description.contains("over the cap of 5m"), e.description)
        }
        // A plan may raise its cap, up to the hard limit.
        XCTAssertNoThrow(try compile("{title: 'L', maxInverted: '8m', steps: [{tilt: 30}, {hold: '4m'}, {hold: '2m'}, {tilt: 0}]}"))
    }

    func testBuiltinProgramsKeepToTheCapWithEstimatedAndFakeLengths() throws {
        for name in BuiltinPrograms.names {
            let plan = try XCTUnwrap(try BuiltinPrograms.plan(name))
            let pack = try PackReader.builtinDefault()
            XCTAssertNoThrow(try TimelineCompiler(plan: plan, pack: pack, rate: 48_000, measure: EstimatedClipLengths(rate: 48_000)).compile(), name)
            XCTAssertNoThrow(try compile(BuiltinPrograms.source(name)!), name)
        }
    }

    func testWelcomeSaysTheSessionLength() throws {
        let timeline = try compile(holdPlan)
        let welcome = try XCTUnwrap(timeline.events.first { $0.key == "session.welcome" })
        let minutes = Int((Double(timeline.frames) / 48_000 / 60).rounded())
        XCTAssertEqual(welcome.text, "Welcome to Hold. This session takes about \(minutes) minutes.")
    }

    func testJSONContract() throws {
        let timeline = try compile(holdPlan)
        let data = Data(TimelineJSON.encode(timeline).utf8)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["rate"] as? Int, 48_000)
        XCTAssertEqual(object["frames"] as? Int, timeline.frames)
        let events = try XCTUnwrap(object["events"] as? [[String: Any]])
        XCTAssertEqual(events.count, timeline.events.count)
        for (json, event) in zip(events, timeline.events) {
            XCTAssertEqual(json["frame"] as? Int, event.frame)
            XCTAssertEqual(json["kind"] as? String, event.kind.rawValue)
            XCTAssertEqual(json["step"] as? Int, event.step)
            XCTAssertEqual(try XCTUnwrap(json["seconds"] as? Double), Double(event.frame) / 48_000, accuracy: 0.0006)
            switch event.kind {
            case .speech:
                XCTAssertEqual(json["key"] as? String, event.key)
                XCTAssertEqual(json["text"] as? String, event.text)
            case .sound:
                XCTAssertEqual(json["key"] as? String, event.key)
            case .step:
                XCTAssertEqual(json["title"] as? String, event.text)
                XCTAssertEqual(json["inverted"] as? Bool, event.inverted)
                XCTAssertEqual(json["angle"] as? Int, event.angle > 0 ? event.angle : nil)
            }
        }
        XCTAssertEqual(JSONText.string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"")
        XCTAssertEqual(TimelineJSON.seconds(264_600, rate: 48_000), "5.513")
        XCTAssertEqual(TimelineJSON.seconds(0, rate: 48_000), "0.0")
    }

    /// "takes about 1 minutes": the welcome says the duration in the pack's words.
    func testAOneMinuteSessionSaysOneMinute() throws {
        let timeline = try compile("{title: 'Short', steps: [{rest: 30}]}")
        let welcome = try XCTUnwrap(timeline.events.first { $0.key == CueKey.sessionWelcome.key }?.text)
        XCTAssertTrue(welcome.hasSuffix("takes about 1 minute."), welcome)
        let longer = try compile("{title: 'Longer', steps: [{rest: '3m'}]}")
        XCTAssertTrue(try XCTUnwrap(longer.events.first { $0.key == CueKey.sessionWelcome.key }?.text).hasSuffix("about 3 minutes."))
    }

    func testControlCharactersAreShownEscaped() {
        XCTAssertEqual(TerminalText.safe("Hold\u{1B}[2J\u{7}"), "Hold\\x1B[2J\\x07")
        XCTAssertEqual(TerminalText.safe("a\nb"), "a\\x0Ab")
        XCTAssertEqual(TerminalText.safe("a\nb", keepNewlines: true), "a\nb")
        XCTAssertEqual(TerminalText.safe("\u{9B}31m"), "\\x9B31m")
        XCTAssertEqual(TerminalText.safe("Grüße, 30°"), "Grüße, 30°")
    }
}
