import Foundation
import Synchronization
import XCTest

@testable import UpturnKit

/// A provider that is slow (a Pi's SD card, espeak-ng making a prompt), can hold one clip
/// back until told, and records the threads it was asked on.
final class SlowClips: ClipProviding, @unchecked Sendable {
    // @unchecked: the fields are set before playing, and read after it; `calls` has a lock.
    let fake = FakeClips()
    let delay: useconds_t
    var holdBack: ClipSource?
    let release = DispatchSemaphore(value: 0)
    let calls = Mutex<[(thread: pthread_t, source: ClipSource)]>([])
    init(delayMilliseconds: Int) { delay = useconds_t(delayMilliseconds * 1000) }

    func samples(of source: ClipSource) throws(UpturnError) -> [Int16] {
        calls.withLock { $0.append((pthread_self(), source)) }
        usleep(delay)
        if source == holdBack { release.wait() }
        return try fake.samples(of: source)
    }
}

/// Keeps what it is given, and how much, readable from another thread.
final class CountingSink: AudioSink, @unchecked Sendable {
    // @unchecked: `samples` is read after the player has ended; `count` is atomic.
    let rate = 48_000
    let blockFrames = 480
    var samples: [Int16] = []
    let count = Atomic<Int>(0)
    var frameCount: Int { count.load(ordering: .relaxed) }

    func write(_ buffer: UnsafeBufferPointer<Int16>, wakeFD: Int32?) throws(UpturnError) -> Int {
        samples.append(contentsOf: buffer)
        count.store(samples.count, ordering: .relaxed)
        return buffer.count
    }
    func pendingFrames() -> Int { 0 }
    func drop() {}
    func reopen() throws(UpturnError) {}
    func finish() throws(UpturnError) {}
    func abort() {}
}

final class ClipLoaderTests: XCTestCase {
    let plan = """
        {title: "T", steps: [
          {say: "A long first sentence that takes a while to say."},
          {tilt: 30, settle: "2s"},
          {hold: "30s", halfway: true, countdown: 10},
          {tilt: 0},
          {say: "The last words."},
        ]}
        """

    /// Plays on a thread of its own, as `PlaybackSession` does; the outcome and that thread.
    func play(_ player: Player) throws -> (Player.Outcome, pthread_t) {
        let outcome = Mutex<(Result<Player.Outcome, UpturnError>, pthread_t)?>(nil)
        nonisolated(unsafe) let player = player
        let thread = Thread {
            let result: Result<Player.Outcome, UpturnError>
            do throws(UpturnError) { result = .success(try player.play()) } catch { result = .failure(error) }
            outcome.withLock { $0 = (result, pthread_self()) }
        }
        thread.start()
        let deadline = Date() + 60
        while outcome.withLock({ $0 == nil }) && Date() < deadline { usleep(2000) }
        let (result, audio) = try XCTUnwrap(outcome.withLock { $0 })
        return (try result.get(), audio)
    }

    func testTheAudioThreadNeverLoadsAClipAndPlaysWhatRenderMakes() throws {
        let slow = SlowClips(delayMilliseconds: 40)
        let timeline = try compile(plan, clips: slow.fake)
        let sink = MemorySink(rate: 48_000)
        let player = Player(timeline: timeline, clips: slow, sink: sink, blockFrames: 480)
        let (outcome, audio) = try play(player)
        XCTAssertEqual(outcome, .finished)
        let calls = slow.calls.withLock { $0 }
        XCTAssertFalse(calls.isEmpty)
        XCTAssertFalse(calls.contains { pthread_equal($0.thread, audio) != 0 }, "the audio thread loaded a clip")
        XCTAssertFalse(calls.contains { pthread_equal($0.thread, pthread_self()) != 0 })
        // Sample for sample what a renderer asking directly makes: a slow disk delays, never changes.
        let direct = Renderer(timeline: timeline, clips: FakeClips())
        var expected = [Int16](repeating: 0, count: timeline.frames)
        _ = try expected.withUnsafeMutableBufferPointer { try direct.render(into: $0) }
        XCTAssertEqual(sink.samples, expected)
    }

    func testAStopIsHeardWhileAClipIsStillLoadingAndTheClosingIsReady() throws {
        let slow = SlowClips(delayMilliseconds: 0)
        let timeline = try compile(plan, clips: slow.fake)
        // The hold's "Halfway" never loads until released: the player reaches it and waits.
        let halfway = try XCTUnwrap(timeline.events.first { $0.key == "hold.halfway" })
        slow.holdBack = halfway.clip
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let sink = CountingSink()
        let player = Player(timeline: timeline, clips: slow, sink: sink, blockFrames: 480, controls: queue)
        let waitedAt = Mutex(0)
        let closedBeforeRelease = Mutex(false)
        DispatchQueue.global().async {
            // Once the player is waiting at the halfway cue, a person says stop; the clip
            // comes 3 s later (the player's end waits for the loader, not its stop).
            let reached = Date() + 30
            while sink.frameCount < halfway.frame - 480 && Date() < reached { usleep(1000) }
            usleep(200_000)
            let at = sink.frameCount
            waitedAt.withLock { $0 = at }
            queue.post(.stop)
            let deadline = Date() + 3
            while Date() < deadline && sink.frameCount < at + timeline.closingFrames { usleep(1000) }
            closedBeforeRelease.withLock { $0 = sink.frameCount >= at + timeline.closingFrames }
            usleep(200_000)
            slow.release.signal()
        }
        XCTAssertEqual(try play(player).0, .stoppedWithClosing)
        XCTAssertTrue(closedBeforeRelease.withLock { $0 }, "the closing waited for a clip it does not need")
        // It waited at the halfway cue, wrote nothing of it, and then the closing, whole.
        XCTAssertLessThanOrEqual(waitedAt.withLock { $0 }, halfway.frame)
        XCTAssertEqual(sink.samples.count, waitedAt.withLock { $0 } + timeline.closingFrames)
        let upright = timeline.closing[0]
        let closingStart = sink.samples.count - timeline.closingFrames
        XCTAssertEqual(sink.samples[closingStart + upright.frame + 5], slow.fake.value(of: upright.clip!))
    }

    func testClipsOutsideTheWindowAreLetGo() throws {
        let clips = FakeClips()
        let timeline = try compile(plan, clips: clips)
        let loader = ClipLoader(provider: clips, main: timeline.events, pinned: timeline.closing, rate: 48_000, aheadSeconds: 2, behindSeconds: 1)
        loader.start()
        defer { loader.stop() }
        let first = try XCTUnwrap(timeline.events.first { $0.clip != nil })
        let last = try XCTUnwrap(timeline.events.last { $0.clip != nil && $0.key == "say" })
        func waitFor(_ source: ClipSource) throws -> [Int16]? {
            for _ in 0..<500 {
                if let samples = try loader.clip(source) { return samples }
                usleep(2000)
            }
            return nil
        }
        XCTAssertNotNil(try waitFor(first.clip!))
        // The last words are far past the window: asked for, they are loaded anyway.
        XCTAssertNotNil(try waitFor(last.clip!))
        XCTAssertNotNil(try waitFor(timeline.closing[0].clip!))
        // Moved to the end: the first clip falls out of the window and is let go.
        loader.moved(to: timeline.frames)
        var gone = false
        for _ in 0..<500 where !gone {
            gone = loader.isLetGo(first.clip!)
            usleep(2000)
        }
        XCTAssertTrue(gone)
        XCTAssertNotNil(try loader.clip(timeline.closing[0].clip!), "the closing stays ready")
    }
}
