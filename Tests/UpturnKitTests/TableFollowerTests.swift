import XCTest

@testable import UpturnKit

/// `TableFollower`: a session following the table, without audio, threads or a sensor.
final class TableFollowerTests: XCTestCase {
    let rate = 1000
    lazy var timeline = try! compile(
        "{title: 'T', steps: [{say: 'Ready.'}, {tilt: 30, settle: '10s'}, {hold: '1m'}, {tilt: 0, settle: '5s'}, {rest: '10s'}]}", rate: rate)
    var tilt: StepSpan { timeline.steps.first { $0.kind == .tilt && $0.angle == 30 }! }
    var back: StepSpan { timeline.steps.first { $0.kind == .tilt && $0.angle == 0 }! }
    /// The end of a step's first words.
    func wordsEnd(_ span: StepSpan) -> Int { timeline.events.first { $0.kind == .speech && $0.frame >= span.start }!.end }

    func sample(_ degrees: Double, _ time: Double) -> AngleSample { AngleSample(degrees: degrees, time: time) }

    func said(_ actions: [TableFollower.Action]) -> [TableFollower.Cue] {
        actions.compactMap { if case .say(let cue) = $0 { return cue } else { return nil } }
    }

    func testATiltThatArrivesStartsTheHoldAtOnceAndOneThatNeverDoesGoesOnAfterTwentySeconds() {
        var follower = TableFollower(timeline: timeline)
        let words = wordsEnd(tilt)
        // While the words are said nothing is decided; then the table arrives at 29°.
        XCTAssertEqual(follower.tick(heard: tilt.start + 10, angle: sample(-85, 0), now: 0, interjecting: false), [])
        XCTAssertEqual(follower.tick(heard: words + 100, angle: sample(29, 5), now: 5, interjecting: false), [])
        XCTAssertEqual(follower.tick(heard: words + 600, angle: sample(29.5, 5.5), now: 5.5, interjecting: false), [], "not a second yet")
        let arrived = follower.tick(heard: words + 1100, angle: sample(30.2, 6.0), now: 6.0, interjecting: false)
        XCTAssertEqual(said(arrived), [.reached(30)])
        XCTAssertTrue(arrived.contains(.seek(tilt.end)), "the settle time left is skipped: the hold starts now \(arrived)")
        XCTAssertFalse(follower.holding)

        // Another session: the table stays at 15°.
        follower = TableFollower(timeline: timeline)
        _ = follower.tick(heard: words, angle: sample(15, 0), now: 0, interjecting: false)
        XCTAssertEqual(follower.barrier, tilt.end, "the main timeline may not pass the tilt's end")
        let held = follower.tick(heard: tilt.end - 40, written: tilt.end, angle: sample(15, 10), now: 10, interjecting: false)
        XCTAssertTrue(follower.holding, "the settle time is over: the session waits for the table \(held)")
        XCTAssertEqual(said(follower.tick(heard: tilt.end, angle: sample(15, 29), now: 29, interjecting: false)), [])
        let late = follower.tick(heard: tilt.end, angle: sample(15, 30.5), now: 30.5, interjecting: false)
        XCTAssertEqual(said(late), [.notReached(30)], "settle time (10 s) and 20 s: it goes on")
        XCTAssertFalse(follower.holding)
        XCTAssertNil(follower.barrier)
        XCTAssertEqual(said(follower.tick(heard: tilt.end + 10, angle: sample(31, 31), now: 31, interjecting: false)), [], "decided once")
    }

    func testASkipWhileWaitingForTheTableGoesOnAndABackFollowsTheTiltAgain() {
        var follower = TableFollower(timeline: timeline)
        _ = follower.tick(heard: wordsEnd(tilt), angle: sample(10, 0), now: 0, interjecting: false)
        _ = follower.tick(heard: tilt.end, written: tilt.end, angle: sample(10, 10), now: 10, interjecting: false)
        XCTAssertTrue(follower.holding)
        follower.jumped(to: tilt.end)  // skip: the hold
        XCTAssertFalse(follower.holding)
        XCTAssertNil(follower.barrier)
        XCTAssertEqual(follower.tick(heard: tilt.end + 100, angle: sample(10, 11), now: 11, interjecting: false).filter { $0 != .status }, [])
        XCTAssertNil(follower.barrier, "the skipped tilt is not waited for again")
        follower.jumped(to: tilt.start)  // back to the tilt
        _ = follower.tick(heard: tilt.start + 10, angle: sample(10, 12), now: 12, interjecting: false)
        XCTAssertEqual(follower.barrier, tilt.end, "followed again")
    }

    func testPastThePlansAngleIsToldAtMostEveryFifteenSeconds() {
        var follower = TableFollower(timeline: timeline)
        let hold = timeline.steps.first { $0.kind == .hold }!
        var told: [Double] = []
        for t in stride(from: 0.0, through: 40, by: 0.5) {
            if said(follower.tick(heard: hold.start + Int(t * 1000), angle: sample(41, t), now: t, interjecting: false)).contains(.tooFar) { told.append(t) }
        }
        XCTAssertEqual(told, [0, 15, 30])
        XCTAssertEqual(said(follower.tick(heard: hold.start + 45_000, angle: sample(39, 45), now: 45, interjecting: false)), [], "9° past: not told")
    }

    func testTheReturnWaitsForUprightAndRaisesTheAlarmEveryThirtySeconds() {
        var follower = TableFollower(timeline: timeline)
        let words = wordsEnd(back)
        XCTAssertEqual(said(follower.tick(heard: words, angle: sample(30, 0), now: 0, interjecting: false)), [])
        _ = follower.tick(heard: back.end, angle: sample(30, 5), now: 5, interjecting: false)
        XCTAssertTrue(follower.holding, "the return waits for the table")
        let alarm = follower.tick(heard: back.end, angle: sample(30, 30), now: 30, interjecting: false)
        XCTAssertTrue(follower.alarm)
        XCTAssertTrue(alarm.contains(.seek(back.start)), "the words again: \(alarm)")
        XCTAssertTrue(alarm.contains { if case .log(let l) = $0 { return l.hasPrefix("ALARM") } else { return false } })
        // It comes up: "You're upright", the alarm is over, the session goes on.
        let up = follower.tick(heard: words + 500, angle: sample(5, 40), now: 40, interjecting: false)
        XCTAssertEqual(said(up), [.upright])
        XCTAssertFalse(follower.alarm)
        XCTAssertFalse(follower.holding)
    }

    func testTheClosingEndsOnlyWhenUprightAndAStopStillEndsIt() {
        var follower = TableFollower(timeline: timeline)
        _ = follower.tick(heard: 0, angle: sample(40, 0), now: 0, interjecting: false)
        XCTAssertEqual(follower.closingEnded(angle: sample(40, 1), now: 1).contains(.end), false)
        XCTAssertTrue(follower.closingWait)
        XCTAssertEqual(follower.tick(heard: 0, angle: sample(40, 20), now: 20, interjecting: false).contains(.closingAgain), false)
        var again = follower.tick(heard: 0, angle: sample(40, 31), now: 31, interjecting: false)
        XCTAssertTrue(again.contains(.closingAgain), "30 s after the closing, still tilted: said again \(again)")
        XCTAssertTrue(follower.alarm)
        // Said again, and still tilted: another 30 s, and again.
        _ = follower.closingEnded(angle: sample(40, 35), now: 35)
        again = follower.tick(heard: 0, angle: sample(40, 66), now: 66, interjecting: false)
        XCTAssertTrue(again.contains(.closingAgain))
        _ = follower.closingEnded(angle: sample(40, 70), now: 70)
        let up = follower.tick(heard: 0, angle: sample(3, 75), now: 75, interjecting: false)
        XCTAssertEqual(said(up), [.upright])
        XCTAssertTrue(up.contains(.end))
        // Without a reading (no sensor, or lost), the closing ends as it always did.
        var lost = TableFollower(timeline: timeline)
        XCTAssertEqual(lost.closingEnded(angle: nil, now: 0), [.end])
    }

    func testALostSensorIsSaidOnceAndReleasesAWait() {
        var follower = TableFollower(timeline: timeline)
        _ = follower.tick(heard: wordsEnd(tilt), angle: sample(10, 0), now: 0, interjecting: false)
        _ = follower.tick(heard: tilt.end, angle: sample(10, 10), now: 10, interjecting: false)
        XCTAssertTrue(follower.holding)
        XCTAssertEqual(said(follower.tick(heard: tilt.end, angle: nil, now: 11, interjecting: false)), [.lost])
        XCTAssertFalse(follower.holding, "the session goes on by the plan")
        XCTAssertEqual(said(follower.tick(heard: tilt.end, angle: nil, now: 12, interjecting: false)), [], "said once")
        let back = follower.tick(heard: tilt.end + 10, angle: sample(30, 13), now: 13, interjecting: false)
        XCTAssertTrue(back.contains(.log("the angle sensor is back: following the table again")), "\(back)")
    }

    func testTheHighestAngleIsTheOneHeldFiveSecondsAndTheTraceIsOneASecond() {
        var follower = TableFollower(timeline: timeline)
        for i in 0..<200 {
            let t = Double(i) / 10
            // 30° for 20 s, with one second at 70° (a lurch) in the middle.
            let degrees = (10.0..<11.0).contains(t) ? 70.0 : 30.0
            _ = follower.tick(heard: 0, angle: sample(degrees, t), now: t, interjecting: false)
        }
        XCTAssertEqual(follower.highestHeld ?? 0, 30, accuracy: 0.01)
        XCTAssertEqual(follower.trace.count, 20)
    }
}

/// `TableWatch`: the table between sessions (`serve --angle`).
final class TableWatchTests: XCTestCase {
    func testATableTiltedTooLongWithNoSessionIsToldAndAlarmedEveryThirtySecondsUntilUpright() {
        var watch = TableWatch()
        var said: [Double] = []
        var t = 0.0
        func run(_ degrees: Double?, until end: Double) {
            while t < end {
                for action in watch.observe(degrees.map { AngleSample(degrees: $0, time: t) }, now: t) where action == .sayClosing { said.append(t) }
                t += 1
            }
        }
        run(-85, until: 60)
        run(30, until: 60 + TableWatch.capSeconds)
        XCTAssertEqual(said, [], "within the cap: nothing")
        XCTAssertFalse(watch.alarm)
        run(30, until: 60 + TableWatch.capSeconds + 65)
        XCTAssertEqual(said.count, 3, "at the cap, and every 30 s: \(said)")
        XCTAssertTrue(watch.alarm)
        run(12, until: t + 5)
        XCTAssertTrue(watch.alarm, "12°: not upright yet")
        var actions: [TableWatch.Action] = []
        actions = watch.observe(AngleSample(degrees: 5, time: t), now: t)
        XCTAssertFalse(watch.alarm)
        XCTAssertTrue(actions.contains(.log("angle: the table is upright again")), "\(actions)")
        // A sensor lost keeps nothing stale: no angle shown.
        _ = watch.observe(nil, now: t + 1)
        XCTAssertNil(watch.shown)
    }
}
