import Foundation
import XCTest

@testable import UpturnKit

/// A sink that plays a script: when the frames written reach a mark, it posts a command, as
/// a person would at that moment of the session. It can also lose the device once.
final class ScriptedSink: AudioSink {
    let rate = 48_000
    let blockFrames = 480
    var samples: [Int16] = []
    var script: [(frame: Int, command: ControlCommand)]
    let queue: ControlQueue
    var loseAt: Int?
    var reopenFailures = 0
    var reopened = 0
    var drops = 0
    var finished = false

    init(queue: ControlQueue, script: [(Int, ControlCommand)]) {
        self.queue = queue
        self.script = script.map { (frame: $0.0, command: $0.1) }
    }

    func write(_ buffer: UnsafeBufferPointer<Int16>, wakeFD: Int32?) throws(UpturnError) -> Int {
        if let at = loseAt, samples.count + buffer.count > at {
            loseAt = nil
            throw UpturnError.lost("audio device 'test' was lost", .failed(.deviceLost))
        }
        samples.append(contentsOf: buffer)
        while let first = script.first, samples.count >= first.frame {
            script.removeFirst()
            queue.post(first.command)
        }
        return buffer.count
    }

    func pendingFrames() -> Int { 0 }
    func drop() { drops += 1 }
    func reopen() throws(UpturnError) {
        if reopenFailures > 0 {
            reopenFailures -= 1
            throw UpturnError.unavailable("still gone")
        }
        reopened += 1
    }
    func finish() throws(UpturnError) { finished = true }
    func abort() { finished = true }
}

final class TransportTests: XCTestCase {
    let plan = transportPlan
    let clips = FakeClips()
    let voice = VoiceSettings()

    func interjection(_ text: String) -> Interjection {
        let clip = ClipSource.speech(text: text, voice: voice)
        let length = try! clips.frames(of: clip)
        return Interjection(
            events: [TimelineEvent(frame: 10, kind: .speech, key: text, text: text, step: 0, clip: clip, length: length, angle: 0, inverted: false)],
            frames: length + 20)
    }

    var cues: Player.Cues {
        Player.Cues(paused: interjection("Paused."), resuming: interjection("Resuming. Three, two, one."), audioBack: interjection("Audio is back."))
    }

    func play(_ timeline: Timeline, _ sink: ScriptedSink, queue: ControlQueue) throws -> Player.Outcome {
        let player = Player(timeline: timeline, clips: clips, sink: sink, blockFrames: 480, controls: queue, cues: cues)
        player.clock = SimulatedClock(queue: queue)
        return try player.play()
    }

    func span(_ timeline: Timeline, _ kind: String) -> StepSpan { timeline.steps.first { $0.kind.rawValue == kind }! }

    func testPauseCutsSaysPausedAndResumeRestartsTheCutCue() throws {
        let timeline = try compile(plan, clips: clips)
        let sentence = timeline.events.first { $0.key == "say" }!
        let pauseAt = sentence.frame + sentence.length / 2
        let pausedLength = cues.paused!.frames
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [(pauseAt, .pause), (pauseAt + pausedLength, .resume)])
        XCTAssertEqual(try play(timeline, sink, queue: queue), .finished)
        XCTAssertGreaterThanOrEqual(sink.drops, 2)
        // After the pause: "Paused." (softly), then "Resuming...", then the sentence from its start.
        let pausedValue = Int(clips.value(of: cues.paused!.events[0].clip!))
        let softly = Int(sink.samples[pauseAt + 20])
        XCTAssertEqual(Double(softly), Double(pausedValue) * 0.6, accuracy: 1)
        let resumeStart = pauseAt + pausedLength
        let resumingFrames = cues.resuming!.frames
        XCTAssertEqual(sink.samples[resumeStart + 20], clips.value(of: cues.resuming!.events[0].clip!))
        let again = resumeStart + resumingFrames
        XCTAssertEqual(Array(sink.samples[again..<(again + 1000)]), Array(sink.samples[sentence.frame..<(sentence.frame + 1000)]))
        // Session time held still: the whole session is still there after the interruption.
        let replayed = pauseAt - sentence.frame
        XCTAssertEqual(sink.samples.count, timeline.frames + replayed + pausedLength + resumingFrames)
    }

    func testSkipGoesToTheNextStepsFirstCue() throws {
        let timeline = try compile(plan, clips: clips)
        let hold = span(timeline, "hold")
        let skipAt = hold.start + 48_000 * 5
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [(skipAt, .skip)])
        XCTAssertEqual(try play(timeline, sink, queue: queue), .finished)
        let next = timeline.steps.first { $0.start > hold.start }!
        let main = renderMain(timeline)
        XCTAssertNotEqual(main[next.start..<(next.start + 2000)].max(), 0, "the next step starts with a cue")
        XCTAssertEqual(Array(sink.samples[skipAt..<(skipAt + 2000)]), Array(main[next.start..<(next.start + 2000)]))
        XCTAssertEqual(sink.samples.count, timeline.frames - (next.start - skipAt))
    }

    /// Four skips 0.3 s apart during an inverted hold: "Slowly return upright" is still said
    /// whole, the skips after it go on from its end, and the skipped steps are not done.
    func testRapidSkipsDuringAnInvertedHoldNeverCutTheUprightCue() throws {
        let timeline = try compile(plan, clips: clips)
        let hold = span(timeline, "hold")
        let upright = try XCTUnwrap(timeline.events.first { $0.key == CueKey.tiltUpright.key })
        let returning = try XCTUnwrap(timeline.step(at: upright.frame))
        XCTAssertEqual(returning.kind, .tilt)
        XCTAssertGreaterThan(upright.length, 14_400, "the cue is longer than the time between two skips")
        let first = hold.start + 48_000
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: (0..<4).map { (first + $0 * 14_400, ControlCommand.skip) })
        let player = Player(timeline: timeline, clips: clips, sink: sink, blockFrames: 480, controls: queue, cues: cues)
        XCTAssertEqual(try player.play(), .finished)
        let main = renderMain(timeline)
        let heardAt = first + (upright.frame - returning.start)
        XCTAssertEqual(
            Array(sink.samples[heardAt..<(heardAt + upright.length)]), Array(main[upright.frame..<upright.end]),
            "the upright cue was said whole")
        XCTAssertEqual(player.stepsDone, 2, "only the steps played through are done: the say and the tilt")
        XCTAssertLessThan(sink.samples.count, timeline.frames / 2, "the held skips went on after the cue")
    }

    /// Stopping while the table comes back to 0 (after "Slowly return upright", while the
    /// person settles) still goes to the closing: they are not upright yet.
    func testStopWhileReturningUprightGoesToTheClosing() throws {
        let timeline = try compile(plan, clips: clips)
        let upright = try XCTUnwrap(timeline.events.first { $0.key == CueKey.tiltUpright.key })
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [(upright.end + 48_000, .stop)])
        XCTAssertEqual(try play(timeline, sink, queue: queue), .stoppedWithClosing)
    }

    /// Presses of `back` keep someone inverted past the cap: the player goes to the closing,
    /// and the time tilted counts as lived, not as the plan says.
    func testTheInvertedCapHoldsAgainstRepeatedBacks() throws {
        let timeline = try compile(plan, clips: clips)
        let hold = span(timeline, "hold")
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: (1...12).map { (hold.start + $0 * 480_000, ControlCommand.back) })
        let player = Player(timeline: timeline, clips: clips, sink: sink, blockFrames: 480, controls: queue, cues: cues)
        player.maxInvertedSeconds = 60
        player.planInvertedSeconds = 50
        var lines: [String] = []
        player.log = { lines.append($0) }
        // Ended by the cap, not by the user: the history says so (it said "stopped by the user").
        XCTAssertEqual(try player.play(), .invertedCap)
        XCTAssertEqual(SessionRecord.Ending(.success(.invertedCap), allStepsDone: false), .invertedCap)
        XCTAssertEqual(SessionRecord.Ending.invertedCap.rawValue, "the inverted-time cap")
        XCTAssertTrue(lines.contains { $0.hasPrefix("tilted for 1m ") && $0.hasSuffix("without coming upright: the inverted-time cap (the plan's 50s) is reached; going to the closing") }, "\(lines)")
        XCTAssertGreaterThan(player.invertedSeconds, 60)
        XCTAssertLessThan(player.invertedSeconds, 62, "the closing came as the cap ran out")
        let closing = timeline.closing.first { $0.key == CueKey.sessionUpright.key }!
        XCTAssertTrue(sink.samples.suffix(timeline.closingFrames).contains(clips.value(of: closing.clip!)), "the closing was said")
    }

    /// A pause while inverted does not stop the clock: the cap runs out on the wall clock.
    /// (On a simulated clock: it took the cap and 3 s of real time before.)
    func testAPauseWhileInvertedRunsOutTheCap() throws {
        let timeline = try compile(plan, clips: clips)
        let hold = span(timeline, "hold")
        let tilt = try XCTUnwrap(timeline.steps.first { $0.kind == .tilt && $0.inverted })
        let pauseAt = hold.start + 1000
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [(pauseAt, .pause)])
        let player = Player(timeline: timeline, clips: clips, sink: sink, blockFrames: 480, controls: queue, cues: cues)
        player.maxInvertedSeconds = Double(pauseAt - tilt.start) / 48_000 + 120
        // Without a cap the pause would last for good: a resume long after it.
        let clock = SimulatedClock(queue: queue, script: [(3600, .resume)])
        player.clock = clock
        var capAt: Double?
        player.log = { if $0.contains("the inverted-time cap") { capAt = clock.elapsed } }
        let started = MonotonicClock.now
        XCTAssertEqual(try player.play(), .invertedCap)
        // The closing began as the cap ran out, counted from the tilt: the pause counted.
        let ranOut = Double(tilt.start) / 48_000 + player.maxInvertedSeconds!
        XCTAssertEqual(try XCTUnwrap(capAt), ranOut, accuracy: 0.3, "the closing came as the cap ran out")
        XCTAssertGreaterThan(player.invertedSeconds, player.maxInvertedSeconds!)
        XCTAssertLessThan(MonotonicClock.now - started, 2, "the test waits for no real time")
    }

    /// Someone alone, paused while inverted, is asked after a while whether they are still
    /// comfortable; with no press, the session goes to the closing (a pause kept them hanging
    /// with no check-in before). At the real settings: asked after 60 s, 20 s to answer.
    func testAPauseWhileInvertedAloneIsCheckedIn() throws {
        let timeline = try compile(plan, clips: clips)
        let hold = span(timeline, "hold")
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [(hold.start + 1000, .pause)])
        var alone = cues
        alone.answered = interjection("Good.")
        alone.checkIn = interjection("Still comfortable? Press to continue.")
        let player = Player(timeline: timeline, clips: clips, sink: sink, blockFrames: 480, controls: queue, cues: alone)
        let clock = SimulatedClock(queue: queue, script: [(3600, .resume)])
        player.clock = clock
        var lines: [String] = []
        player.log = { lines.append($0) }
        XCTAssertEqual(try player.play(), .noAnswer)
        XCTAssertTrue(lines.contains { $0.hasPrefix("check-in while paused") }, "\(lines)")
        let question = clips.value(of: alone.checkIn!.events[0].clip!)
        XCTAssertTrue(sink.samples.contains(question), "the question was asked")
        // Paused a second into the hold, asked 60 s later, closing 20 s after the question.
        let pausedAt = Double(hold.start + 1000) / 48_000
        let asked = Double(alone.checkIn!.frames) / 48_000
        XCTAssertEqual(clock.elapsed, pausedAt + 60 + asked + 20 + Double(timeline.closingFrames + alone.paused!.frames) / 48_000, accuracy: 0.6)
    }

    /// A press while paused and tilted, before the question is due, starts the wait again.
    func testAPressWhilePausedPutsTheCheckInOff() throws {
        let timeline = try compile(plan, clips: clips)
        let hold = span(timeline, "hold")
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [(hold.start + 1000, .pause)])
        var alone = cues
        alone.checkIn = interjection("Still comfortable? Press to continue.")
        let player = Player(timeline: timeline, clips: clips, sink: sink, blockFrames: 480, controls: queue, cues: alone)
        let pausedAt = Double(hold.start + 1000) / 48_000
        // Resumed 50 s into the pause: no question; the session plays to its end.
        player.clock = SimulatedClock(queue: queue, script: [(pausedAt + 50, .resume)])
        var lines: [String] = []
        player.log = { lines.append($0) }
        XCTAssertEqual(try player.play(), .finished)
        XCTAssertFalse(lines.contains { $0.hasPrefix("check-in") }, "\(lines)")
    }

    func renderMain(_ timeline: Timeline) -> [Int16] {
        let sink = MemorySink(rate: 48_000)
        _ = try! Player(timeline: timeline, clips: clips, sink: sink, stopRequests: { 0 }).play()
        return sink.samples
    }

    func testBackRestartsTheStepAndTwiceGoesToTheOneBefore() throws {
        let timeline = try compile(plan, clips: clips)
        let hold = span(timeline, "hold")
        let tilt = timeline.steps.last { $0.start < hold.start }!
        let backAt = hold.start + 48_000 * 10
        let queue = ControlQueue(signals: { (0, 0, 0) })
        // One back: the hold starts again. A second one right away: the tilt before it.
        let sink = ScriptedSink(queue: queue, script: [(backAt, .back), (backAt + 4800, .back)])
        XCTAssertEqual(try play(timeline, sink, queue: queue), .finished)
        let main = renderMain(timeline)
        XCTAssertEqual(Array(sink.samples[backAt..<(backAt + 4800)]), Array(main[hold.start..<(hold.start + 4800)]))
        let second = backAt + 4800
        XCTAssertEqual(Array(sink.samples[second..<(second + 4800)]), Array(main[tilt.start..<(tilt.start + 4800)]))
    }

    func testStopWhileInvertedSaysReturnUprightAndASecondStopEndsAtOnce() throws {
        let timeline = try compile(plan, clips: clips)
        let hold = span(timeline, "hold")
        let stopAt = hold.start + 48_000 * 3
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [(stopAt, .stop)])
        XCTAssertEqual(try play(timeline, sink, queue: queue), .stoppedWithClosing)
        XCTAssertEqual(sink.samples.count, stopAt + timeline.closingFrames)
        let upright = timeline.closing[0]
        XCTAssertEqual(sink.samples[stopAt + upright.frame + 5], clips.value(of: upright.clip!))

        let queue2 = ControlQueue()
        let sink2 = ScriptedSink(queue: queue2, script: [(stopAt, .stop), (stopAt + 9600, .stop)])
        XCTAssertEqual(try play(timeline, sink2, queue: queue2), .stoppedWithClosing)
        XCTAssertLessThan(sink2.samples.count, stopAt + 9600 + 960)
    }

    func testStopWhileUprightEndsAtOnce() throws {
        let timeline = try compile(plan, clips: clips)
        let rest = span(timeline, "rest")
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [(rest.start + 4800, .stop)])
        XCTAssertEqual(try play(timeline, sink, queue: queue), .stopped)
        XCTAssertLessThanOrEqual(sink.samples.count, rest.start + 4800 + 480)
    }

    func testAPressDuringAWaitGoesOn() throws {
        let timeline = try compile(plan, clips: clips)
        let wait = span(timeline, "wait")
        let pressAt = wait.start + 48_000 * 3
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [(pressAt, .toggle)])
        XCTAssertEqual(try play(timeline, sink, queue: queue), .finished)
        XCTAssertEqual(sink.samples.count, timeline.frames - (wait.end - pressAt))
    }

    func testSignalsToggleSkipAndStop() throws {
        let timeline = try compile(plan, clips: clips)
        let hold = span(timeline, "hold")
        // The signals' counts, as a handler would bump them: SIGTERM a second into the hold.
        final class Signalled: @unchecked Sendable { var sink: ScriptedSink? }
        let signalled = Signalled()
        let queue = ControlQueue(signals: { ((signalled.sink?.samples.count ?? 0) > hold.start + 48_000 ? 1 : 0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [])
        signalled.sink = sink
        let outcome = try play(timeline, sink, queue: queue)
        XCTAssertEqual(outcome, .stoppedWithClosing)
    }

    func testALostDeviceIsReopenedAndTheCutCueReplayed() throws {
        let timeline = try compile(plan, clips: clips)
        let sentence = timeline.events.first { $0.key == "say" }!
        let loseAt = sentence.frame + sentence.length / 2
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [])
        sink.loseAt = loseAt
        sink.reopenFailures = 1
        XCTAssertEqual(try play(timeline, sink, queue: queue), .finished)
        XCTAssertEqual(sink.reopened, 1)
        // "Audio is back", then the cut sentence from its start.
        let written = loseAt - (loseAt % 480)
        let back = cues.audioBack!
        XCTAssertEqual(sink.samples[written + 20], clips.value(of: back.events[0].clip!))
        let again = written + back.frames
        XCTAssertEqual(Array(sink.samples[again..<(again + 1000)]), Array(sink.samples[sentence.frame..<(sentence.frame + 1000)]))
    }

    func testADeviceThatNeverReturnsEndsWith69() throws {
        let timeline = try compile("{title: 'T', steps: [{say: 'One.'}]}", clips: clips)
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [])
        sink.loseAt = 100
        sink.reopenFailures = 1000
        let player = Player(timeline: timeline, clips: clips, sink: sink, controls: queue, cues: cues)
        let clock = SimulatedClock(queue: queue)
        player.clock = clock
        XCTAssertThrowsError(try player.play()) { error in
            let e = error as! UpturnError
            XCTAssertEqual(e.code, .unavailable)
            XCTAssertTrue(e.description.contains("did not come back, so the session stopped at step 0"), e.description)
        }
        // Retried for the grace time (10 s; the session had less left), every 250 ms.
        XCTAssertEqual(clock.elapsed, 10, accuracy: 0.3)
        XCTAssertEqual(sink.reopenFailures, 1000 - (20 + 5), "every 250 ms for 5 s, then every second")
    }

    func testStatusSnapshot() throws {
        let timeline = try compile(plan, clips: clips)
        let hold = span(timeline, "hold")
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [(hold.start + 48_000, .pause), (hold.start + 48_000 + cues.paused!.frames, .stop)])
        let player = Player(timeline: timeline, clips: clips, sink: sink, controls: queue, cues: cues)
        var published: [PlayerSnapshot] = []
        player.onStatus = { published.append($0) }
        _ = try player.play()
        let paused = try XCTUnwrap(published.first { $0.paused }, "a paused status was published")
        XCTAssertEqual(paused.step, hold.index)
        XCTAssertTrue(paused.inverted)
        let json = try JSONSerialization.jsonObject(with: Data(paused.json.utf8)) as! [String: Any]
        XCTAssertEqual(json["paused"] as? Bool, true)
        XCTAssertEqual(json["step"] as? Int, hold.index)
        // The stop while paused and tilted plays the closing: that is not a pause (it said
        // "paused" through the closing when the stop came during "Paused.", and not after it).
        let last = player.snapshot.withLock { $0 }
        XCTAssertFalse(last.paused)
        XCTAssertEqual(last, published.last)
    }

    /// The status carries what the player said in the last 4 s (its timeline's text), which
    /// voice control weighs a phrase against (issue 19, item 5); `ctl status` does not show it.
    func testStatusSaysWhatThePlayerSaid() throws {
        let timeline = try compile(plan, clips: clips)
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [])
        let player = Player(timeline: timeline, clips: clips, sink: sink, controls: queue, cues: cues)
        var published: [PlayerSnapshot] = []
        player.onStatus = { published.append($0) }
        _ = try player.play()
        let spoken = timeline.events.filter { $0.kind == .speech }
        XCTAssertGreaterThan(spoken.count, 3)
        for event in spoken {
            let text = try XCTUnwrap(event.text)
            XCTAssertTrue(published.contains { $0.saying.contains(text) }, "\(text) was in the status while said")
        }
        let last = try XCTUnwrap(spoken.last)
        XCTAssertEqual(timeline.said(from: last.frame - 1, to: last.frame + 1), last.text)
        XCTAssertEqual(timeline.said(from: last.end, to: last.end + 48_000), "", "nothing said after the last words")
        let saying = try XCTUnwrap(published.first { !$0.saying.isEmpty })
        XCTAssertFalse(saying.json.contains("saying"))
    }
}

/// Safety check-ins for people alone: a long inverted hold asks, and a press must answer.
final class CheckInTests: XCTestCase {
    let clips = FakeClips()
    let text = "{title: 'Alone', steps: [{tilt: 40, settle: '2s'}, {hold: '2m', halfway: false, countdown: false}, {tilt: 0}, {rest: '5s'}]}"

    func compileAlone(_ alone: Bool) throws -> Timeline {
        let plan = try PlanReader.parse(text, file: "t.json5")
        return try TimelineCompiler(plan: plan, pack: try PackReader.builtinDefault(), rate: 48_000, measure: clips, checkIns: alone).compile(file: "t.json5")
    }

    func player(_ timeline: Timeline, _ sink: ScriptedSink, _ queue: ControlQueue) -> Player {
        let answered = ClipSource.speech(text: "Good.", voice: VoiceSettings())
        let cue = Interjection(
            events: [TimelineEvent(frame: 10, kind: .speech, key: "safety.answered", text: "Good.", step: 0, clip: answered, length: try! clips.frames(of: answered), angle: 0, inverted: false)],
            frames: 9000)
        return Player(timeline: timeline, clips: clips, sink: sink, blockFrames: 480, controls: queue, cues: Player.Cues(answered: cue))
    }

    func testOnlyLongInvertedHoldsAskAndOnlyWhenAlone() throws {
        XCTAssertFalse(try compileAlone(false).events.contains { $0.key == TimelineCompiler.checkInKey })
        let timeline = try compileAlone(true)
        let asks = timeline.events.filter { $0.key == TimelineCompiler.checkInKey }
        XCTAssertEqual(asks.count, 1)
        let hold = timeline.steps.first { $0.kind == .hold }!
        XCTAssertTrue(hold.inverted)
        XCTAssertGreaterThan(asks[0].frame, hold.start + 48_000 * 30)
        XCTAssertLessThan(asks[0].end + 48_000 * 20, hold.end)
        XCTAssertEqual(asks[0].text, "Still comfortable? Press to continue.")
        // A one-minute hold, or a hold upright, does not ask.
        let short = try PlanReader.parse("{title: 'x', steps: [{tilt: 30}, {hold: '1m'}, {tilt: 0}, {hold: '3m'}]}", file: "s")
        let quiet = try TimelineCompiler(plan: short, pack: try PackReader.builtinDefault(), rate: 48_000, measure: clips, checkIns: true).compile()
        XCTAssertFalse(quiet.events.contains { $0.key == TimelineCompiler.checkInKey })
    }

    func testNoAnswerGoesToTheClosing() throws {
        let timeline = try compileAlone(true)
        let ask = timeline.events.first { $0.key == TimelineCompiler.checkInKey }!
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = ScriptedSink(queue: queue, script: [])
        var lines: [String] = []
        let p = player(timeline, sink, queue)
        p.log = { lines.append($0) }
        XCTAssertEqual(try p.play(), .noAnswer)
        // The session went on for the 20 s of the answer time, then said the closing.
        let closingStart = ask.end + 48_000 * 20
        XCTAssertEqual(sink.samples.count, closingStart + timeline.closingFrames, accuracy: 480)
        let upright = timeline.closing.first { $0.key == "session.upright" }!
        XCTAssertEqual(sink.samples[closingStart + upright.frame + 100], clips.value(of: upright.clip!))
        XCTAssertTrue(lines.contains { $0.contains("no answer to the check-in") }, "\(lines)")
    }

    func testAPressAnswersAndTheSessionGoesOn() throws {
        let timeline = try compileAlone(true)
        let ask = timeline.events.first { $0.key == TimelineCompiler.checkInKey }!
        let queue = ControlQueue(signals: { (0, 0, 0) })
        // The answer comes 5 s after the question: a toggle, which must not pause.
        let sink = ScriptedSink(queue: queue, script: [(ask.end + 48_000 * 5, .toggle)])
        let p = player(timeline, sink, queue)
        XCTAssertEqual(try p.play(), .finished)
        XCTAssertEqual(sink.drops, 0, "an answer does not cut or pause")
        // The whole session played, plus the soft "Good."
        XCTAssertEqual(sink.samples.count, timeline.frames + 9000, accuracy: 480)
    }
}

final class ControlQueueTests: XCTestCase {
    func readable(_ fd: Int32) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, 0) > 0
    }

    /// A signal's byte in the wake pipe is drained by the next take(): before, it stayed,
    /// and every poll on the pipe returned at once (a paused player spun a core).
    func testASignalsWakeByteIsDrained() throws {
        let queue = ControlQueue()
        Signals.install(wake: queue)
        defer {
            // The test process keeps the usual meaning of Ctrl-C and SIGTERM.
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        let before = Signals.counts.skip
        raise(SIGUSR2)
        XCTAssertEqual(Signals.counts.skip, before + 1)
        XCTAssertTrue(readable(queue.wakeFD))
        XCTAssertTrue(queue.hasPending)
        XCTAssertEqual(queue.take(), [.skip], "the signal comes out of the queue as its command")
        XCTAssertFalse(readable(queue.wakeFD), "the signal's byte was left in the pipe")
        XCTAssertFalse(queue.hasPending)
        queue.post(.toggle)
        XCTAssertTrue(readable(queue.wakeFD))
        XCTAssertEqual(queue.take(), [.toggle])
        XCTAssertFalse(readable(queue.wakeFD))
    }

    /// Signals come out of the queue as commands, after the posted ones; only a signal's
    /// stop (SIGINT, SIGTERM) asks the process to end.
    func testSignalsAreFoldedInAndOnlyTheirStopEndsTheProcess() {
        final class Counts: @unchecked Sendable { var value = (stop: 0, toggle: 0, skip: 0) }
        let counts = Counts()
        counts.value = (1, 1, 1)  // before the queue: not its business
        let queue = ControlQueue(signals: { counts.value })
        XCTAssertFalse(queue.hasPending)
        queue.post(.stop)
        XCTAssertEqual(queue.take(), [.stop])
        XCTAssertFalse(queue.terminationRequested, "a control's stop is a press, not a termination")
        counts.value = (1, 3, 2)
        queue.post(.back)
        XCTAssertTrue(queue.hasPending)
        XCTAssertEqual(queue.take(), [.back, .toggle, .toggle, .skip])
        XCTAssertFalse(queue.terminationRequested)
        counts.value = (2, 3, 2)
        XCTAssertTrue(queue.hasPending)
        XCTAssertEqual(queue.take(), [.stop])
        XCTAssertTrue(queue.terminationRequested)
        XCTAssertEqual(queue.take(), [])
    }
}

/// Log lines collected from the audio thread.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
