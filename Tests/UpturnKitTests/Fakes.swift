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
