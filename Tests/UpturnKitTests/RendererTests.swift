import XCTest

@testable import UpturnKit

final class RendererTests: XCTestCase {
    func render(_ timeline: Timeline, clips: FakeClips, block: Int) throws -> [Int16] {
        let sink = MemorySink(rate: timeline.rate)
        let outcome = try Player(timeline: timeline, clips: clips, sink: sink, blockFrames: block, stopRequests: { 0 }).play()
        XCTAssertEqual(outcome, .finished)
        XCTAssertTrue(sink.finished)
        return sink.samples
    }

    func testEveryClipLandsOnItsFrameExactly() throws {
        let clips = FakeClips()
        let timeline = try compile("{title: 'R', steps: [{say: 'One.'}, {reps: 2, tempo: '1-0-1'}, {hold: '30s'}]}", clips: clips)
        let samples = try render(timeline, clips: clips, block: 1000)
        XCTAssertEqual(samples.count, timeline.frames)
        for event in timeline.cues {
            let value = clips.value(of: event.clip!)
            XCTAssertNotEqual(samples[event.frame], 0, "\(event.key) at \(event.frame)")
            if event.frame > 0 && !timeline.cues.contains(where: { $0.frame < event.frame && $0.end >= event.frame }) {
                XCTAssertEqual(samples[event.frame - 1], 0, "\(event.key) starts early")
                XCTAssertEqual(samples[event.frame], value)
            }
        }
    }

    func testBlockSizeDoesNotChangeTheOutput() throws {
        let clips = FakeClips()
        let timeline = try compile("{title: 'R', steps: [{reps: 3, tempo: '1-0-1'}, {hold: '20s'}]}", clips: clips)
        let a = try render(timeline, clips: clips, block: 1024)
        let b = try render(timeline, clips: clips, block: 333)
        let c = try render(timeline, clips: clips, block: 8192)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a, c)
    }

    func testOverlappingClipsMixAndClampInsteadOfWrapping() throws {
        let clips = FakeClips()
        let voice = VoiceSettings()
        let loud = ClipSource.speech(text: "x", voice: voice)
        let events = [0, 10].map {
            TimelineEvent(frame: $0, kind: .speech, key: "k", text: "x", step: 0, clip: loud, length: try! clips.frames(of: loud), angle: 0, inverted: false)
        }
        let renderer = Renderer(events: events, frames: 100, clips: clips)
        var out = [Int16](repeating: 1, count: 100)
        let n = try out.withUnsafeMutableBufferPointer { try renderer.render(into: $0) }
        XCTAssertEqual(n, 100)
        XCTAssertEqual(out[5], clips.value(of: loud))
        XCTAssertEqual(out[20], 2 * clips.value(of: loud))
        XCTAssertTrue(renderer.isFinished)
    }

    func testGainScales() throws {
        let clips = FakeClips()
        let clip = ClipSource.audio(.embedded(path: "en/bell.flac"))
        let event = TimelineEvent(frame: 0, kind: .sound, key: "bell", text: nil, step: 0, clip: clip, length: 12_000, angle: 0, inverted: false)
        let renderer = Renderer(events: [event], frames: 10, clips: clips, gain: 0.5)
        var out = [Int16](repeating: 0, count: 10)
        _ = try out.withUnsafeMutableBufferPointer { try renderer.render(into: $0) }
        XCTAssertEqual(out[0], 3)
    }

    func testStopWhileInvertedPlaysTheClosingSegment() throws {
        let clips = FakeClips()
        let timeline = try compile("{title: 'S', steps: [{tilt: 30, settle: '1s'}, {hold: '1m'}, {tilt: 0}]}", clips: clips)
        let holdStart = try XCTUnwrap(timeline.steps.first { $0.kind == .hold }).start
        let sink = MemorySink(rate: 48_000)
        let player = Player(timeline: timeline, clips: clips, sink: sink, blockFrames: 1024) {
            sink.samples.count > holdStart + 48_000 ? 1 : 0
        }
        XCTAssertEqual(try player.play(), .stoppedWithClosing)
        XCTAssertTrue(sink.finished)
        // What follows the stop is the closing segment: "Slowly return upright", then the end.
        let stopAt = sink.samples.count - timeline.closingFrames
        let upright = timeline.closing[0]
        XCTAssertEqual(sink.samples[stopAt + upright.frame], clips.value(of: upright.clip!))
        XCTAssertLessThan(sink.samples.count, timeline.frames)
    }

    func testStopWhileUprightEndsAtOnce() throws {
        let clips = FakeClips()
        let timeline = try compile("{title: 'S', steps: [{rest: '1m'}]}", clips: clips)
        let sink = MemorySink(rate: 48_000)
        let player = Player(timeline: timeline, clips: clips, sink: sink, blockFrames: 1024) { sink.samples.count > 48_000 * 10 ? 1 : 0 }
        XCTAssertEqual(try player.play(), .stopped)
        XCTAssertLessThan(sink.samples.count, 48_000 * 11)
    }

    func testWAVFileSinkWritesAValidHeader() throws {
        let path = temporaryFolder() + "/out.wav"
        let sink = try WAVFileSink(path: path, rate: 44_100)
        let samples: [Int16] = [1, -2, 3, 32767, -32768]
        try samples.withUnsafeBufferPointer { try sink.write($0) }
        try sink.finish()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(bytes.count, 44 + 10)
        XCTAssertEqual(Array(bytes[0..<4]), Array("RIFF".utf8))
        XCTAssertEqual(Array(bytes[40..<44]), [10, 0, 0, 0])
        XCTAssertEqual(Array(bytes[24..<28]), [0x44, 0xAC, 0, 0])
        XCTAssertEqual(Array(bytes[44..<48]), [1, 0, 0xFE, 0xFF])
        XCTAssertEqual(WAVFileSink.header(rate: 44_100, dataBytes: 10), Array(bytes[0..<44]))
    }

    func testUnwritableOutputIsExit73() {
        XCTAssertThrowsError(try WAVFileSink(path: "/nonexistent-folder/x.wav", rate: 48_000)) { error in
            XCTAssertEqual((error as! UpturnError).code, .cantCreate)
            XCTAssertTrue((error as! UpturnError).description.contains("/nonexistent-folder/x.wav"))
        }
    }

    func testStatusLine() throws {
        let timeline = try compile("{title: 'S', steps: [{tilt: 30, settle: '1s'}, {hold: '1m', exercise: 'Arms overhead'}, {tilt: 0}]}")
        var written: [String] = []
        let status = StatusLine(timeline: timeline, stepCount: 3) { written.append($0) }
        let hold = try XCTUnwrap(timeline.steps.first { $0.kind == .hold })
        status.update(frame: hold.start + 48_000)
        status.update(frame: hold.start + 48_000 + 10)
        XCTAssertEqual(written.count, 1)
        XCTAssertTrue(written[0].hasPrefix("\r\u{1B}[2K2/3 Arms overhead 30° · "), written[0])
        XCTAssertTrue(written[0].contains("left in step"))
        status.clear()
        XCTAssertEqual(written.last, "\r\u{1B}[2K")
    }
}
