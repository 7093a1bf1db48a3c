import XCTest

@testable import UpturnKit

/// The transport's decisions alone: a command, a frame and a time in, actions out. No sink,
/// no thread, no clock.
final class TransportMachineTests: XCTestCase {
    let plan = transportPlan
    let all: Set<TransportMachine.Cue> = [.paused, .resuming, .audioBack, .answered, .checkIn]

    func span(_ timeline: Timeline, _ kind: StepKind) -> StepSpan { timeline.steps.first { $0.kind == kind }! }

    func testPauseCutsGoesBackToTheCueAndSaysPausedThenResumeSaysResuming() throws {
        let timeline = try compile(plan)
        var machine = TransportMachine(timeline: timeline, cues: all)
        let sentence = timeline.events.first { $0.key == "say" }!
        let inside = sentence.frame + 1000
        XCTAssertEqual(machine.apply(.pause, heard: inside, now: 0), [.cut, .seek(sentence.frame), .interject(.paused, gain: 0.6), .status])
        XCTAssertTrue(machine.isPaused)
        XCTAssertEqual(machine.apply(.pause, heard: inside, now: 1), [], "paused already")
        machine.interjectionEnded()
        XCTAssertTrue(machine.paused)
        XCTAssertEqual(machine.apply(.toggle, heard: sentence.frame, now: 2), [.cut, .interject(.resuming, gain: 1)])
        XCTAssertFalse(machine.isPaused)
    }

    func testWithoutCuesAPauseIsSilentAndAtOnce() throws {
        var machine = TransportMachine(timeline: try compile(plan), cues: [])
        XCTAssertEqual(machine.apply(.pause, heard: 10, now: 0), [.cut, .seek(10), .status])
        XCTAssertTrue(machine.paused)
    }

    func testBackTwiceWithinThreeSecondsGoesToTheStepBefore() throws {
        let timeline = try compile(plan)
        var machine = TransportMachine(timeline: timeline, cues: all)
        let hold = span(timeline, .hold)
        let tilt = timeline.steps.last { $0.start < hold.start }!
        XCTAssertEqual(machine.apply(.back, heard: hold.start + 48_000 * 10, now: 100), [.cut, .seek(hold.start), .status])
        XCTAssertEqual(machine.apply(.back, heard: hold.start + 4800, now: 101), [.cut, .seek(tilt.start), .status])
        // Later than 3 s: the step's start again.
        XCTAssertEqual(machine.apply(.back, heard: tilt.start + 4800, now: 110), [.cut, .seek(tilt.start), .status])
    }

    func testStopUprightEndsTiltedGoesToTheClosingAndASecondStopEnds() throws {
        let timeline = try compile(plan)
        var upright = TransportMachine(timeline: timeline, cues: all)
        XCTAssertEqual(upright.apply(.stop, heard: 100, now: 0), [.cut, .end(.stopped)])
        var tilted = TransportMachine(timeline: timeline, cues: all)
        let hold = span(timeline, .hold)
        XCTAssertEqual(tilted.apply(.stop, heard: hold.start + 48_000, now: 0), [.closing])
        XCTAssertEqual(tilted.apply(.skip, heard: 0, now: 1), [], "only a stop counts in the closing")
        XCTAssertEqual(tilted.apply(.stop, heard: 0, now: 2), [.end(.stoppedWithClosing)])
    }

    func testAToggleDuringAWaitGoesOn() throws {
        let timeline = try compile(plan)
        var machine = TransportMachine(timeline: timeline, cues: all)
        let wait = span(timeline, .wait)
        let next = timeline.steps.first { $0.start > wait.start }!
        XCTAssertEqual(machine.apply(.toggle, heard: wait.start + 48_000, now: 0), [.cut, .seek(next.start), .status])
    }

    func testASkipDuringTheUprightCueWaitsForItsEnd() throws {
        let timeline = try compile(plan)
        var machine = TransportMachine(timeline: timeline, cues: all)
        let upright = try XCTUnwrap(timeline.uprightCues.first)
        let actions = machine.apply(.skip, heard: upright.frame + 100, now: 0)
        XCTAssertEqual(actions.count, 1)
        guard case .log(let line) = actions[0] else { return XCTFail("\(actions)") }
        XCTAssertTrue(line.hasPrefix("skip: after"), line)
        XCTAssertEqual(machine.takeHeld(heard: upright.end - 1), [])
        XCTAssertEqual(machine.takeHeld(heard: upright.end), [.skip])
        XCTAssertEqual(machine.takeHeld(heard: upright.end + 1), [], "taken once")
    }

    func testTheCapGoesToTheClosingAndSaysSo() throws {
        let timeline = try compile(plan)
        var machine = TransportMachine(timeline: timeline, cues: all, maxInvertedSeconds: 60, planInvertedSeconds: 50)
        let hold = span(timeline, .hold)
        _ = machine.wrote(48_000, endingAt: hold.start + 48_000, now: 0)
        XCTAssertEqual(machine.tick(heard: hold.start + 48_000, now: 59), [])
        let actions = machine.tick(heard: hold.start + 48_000, now: 61.5)
        XCTAssertEqual(actions.last, .closing)
        XCTAssertEqual(machine.closingOutcome, .invertedCap)
    }

    func testPausedTiltedAloneIsAskedAndAPressAnswers() throws {
        let timeline = try compile(plan)
        var machine = TransportMachine(timeline: timeline, cues: all, checkInQuestionSeconds: 2)
        let hold = span(timeline, .hold)
        let at = hold.start + 48_000
        _ = machine.apply(.pause, heard: at, now: 0)
        machine.interjectionEnded()
        XCTAssertEqual(machine.tick(heard: at, now: 0), [])
        XCTAssertEqual(machine.tick(heard: at, now: 59), [])
        let asked = machine.tick(heard: at, now: 60)
        XCTAssertEqual(asked.first, .interject(.checkIn, gain: 1))
        machine.interjectionEnded()
        // Any press answers (it does not resume): "Good.", and the wait starts again.
        XCTAssertEqual(machine.apply(.toggle, heard: at, now: 70), [.log("check-in answered"), .interject(.answered, gain: 0.6), .status])
        machine.interjectionEnded()
        XCTAssertTrue(machine.isPaused)
        XCTAssertEqual(machine.tick(heard: at, now: 100), [])
        XCTAssertEqual(machine.tick(heard: at, now: 130).first, .interject(.checkIn, gain: 1))
        machine.interjectionEnded()
        // No answer in 20 s after the 2 s question: the closing.
        XCTAssertEqual(machine.tick(heard: at, now: 151), [])
        XCTAssertEqual(machine.tick(heard: at, now: 152.1).last, .closing)
        XCTAssertEqual(machine.closingOutcome, .noAnswer)
    }
}
