import Foundation

@testable import UpturnKit

/// Clips whose length and samples follow from their text: each clip is a constant
/// non-zero value, so tests can see where every sample came from.
final class FakeClips: ClipMeasuring, ClipProviding {
    let rate: Int
    private(set) var requests = 0
    init(rate: Int = 48_000) { self.rate = rate }

    func frames(of source: ClipSource) throws(UpturnError) -> Int {
        switch source {
        case .speech(let text, _): return rate / 10 + text.count * rate / 50
        case .audio, .recording: return rate / 4
        }
    }

    func value(of source: ClipSource) -> Int16 {
        switch source {
        case .speech(let text, _): return Int16(100 + text.count % 100)
        case .audio, .recording: return 7
        }
    }

    func samples(of source: ClipSource) throws(UpturnError) -> [Int16] {
        requests += 1
        return [Int16](repeating: value(of: source), count: try frames(of: source))
    }
}

func temporaryFolder(_ name: String = #function) -> String {
    let path = NSTemporaryDirectory() + "upturn-tests-\(getpid())-\(name.filter { $0.isLetter })-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func compile(_ text: String, rate: Int = 48_000, clips: FakeClips = FakeClips()) throws -> Timeline {
    let plan = try PlanReader.parse(text, file: "t.json5")
    let pack = try PackReader.builtinDefault()
    return try TimelineCompiler(plan: plan, pack: pack, rate: rate, measure: clips).compile(file: "t.json5")
}

/// A player's clock that moves on by the frames written (as a device paced in real time
/// would) and by every wait, at once: a session's minutes pass in microseconds, the same
/// every run. A wait ends early when a descriptor is readable already (a control came).
/// `script` posts commands when the clock passes their time (a press during a pause).
final class SimulatedClock: PlayerClock, @unchecked Sendable {
    // @unchecked: used by the player's thread alone while it plays.
    private(set) var now = 1000.0
    let start = 1000.0
    var script: [(at: Double, command: ControlCommand)]
    let queue: ControlQueue?

    init(queue: ControlQueue? = nil, script: [(Double, ControlCommand)] = []) {
        self.queue = queue
        self.script = script.map { (at: 1000 + $0.0, command: $0.1) }
    }

    /// Seconds since the clock was made.
    var elapsed: Double { now - start }

    func wait(for fds: [Int32], milliseconds: Int32) {
        var entries = fds.filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if !entries.isEmpty && poll(&entries, nfds_t(entries.count), 0) > 0 { return }
        advance(to: now + Double(max(0, milliseconds)) / 1000)
    }

    func wrote(_ frames: Int, rate: Int) { advance(to: now + Double(frames) / Double(rate)) }

    private func advance(to time: Double) {
        if let first = script.first, first.at <= time {
            script.removeFirst()
            now = max(now, first.at)
            queue?.post(first.command)
        } else {
            now = time
        }
    }
}

/// The plan the transport tests play: a sentence, a tilt, an inverted hold, back upright, a
/// wait and a rest.
let transportPlan = """
    {title: "T", steps: [
      {say: "A long first sentence that takes a while to say."},
      {tilt: 30, settle: "2s"},
      {hold: "30s", halfway: false, countdown: false},
      {tilt: 0},
      {wait: "Press to go on.", timeout: "20s"},
      {rest: "10s"},
    ]}
    """
