import Foundation
import UpturnKit

// Fuzzing the decoders of everything a user or a neighbour hands to Upturn: plans, cue packs,
// audio files, the history's journal, and lines on the control socket.
//
// Built by Scripts/fuzz with `-sanitize=fuzzer -DFUZZING`, this is a libFuzzer target; the
// target is chosen with UPTURN_FUZZ_TARGET=plan|pack|audio|journal|socket. Built normally, it replays
// files (a corpus, or crashes turned into regression inputs): `upturn-fuzz plan FILE...`.

enum FuzzTargets {
    static func run(_ target: String, _ bytes: [UInt8]) {
        switch target {
        case "pack":
            _ = try? PackReader.parse(bytes, file: "fuzz", folder: nil)
        case "audio":
            if let decoded = try? AudioDecoder.decode(bytes, name: "fuzz"), decoded.samples.count < 48_000 * 30 {
                if let resampled = try? Resampler.resample(decoded.samples, from: decoded.rate, to: 48_000) {
                    _ = ClipShaping.shape(ClipShaping.levelMatched(resampled, rate: 48_000, target: 0.1), rate: 48_000)
                }
            }
        case "journal":
            // What `history` and today's plan do with a journal, numbers included.
            let (sessions, _) = Journal.parse(bytes, path: "fuzz")
            let summary = HistorySummary(history: sessions, since: nil, rules: Progression.Rules())
            _ = summary.json
            for session in summary.sessions {
                _ = DurationText.short(milliseconds: Int(session.invertedSeconds.rounded()) * 1000)
                _ = DateText.local(session.start, time: true)
            }
        case "socket":
            var buffer = bytes
            for request in ControlRequest.take(from: &buffer) {
                if case .unknown(let line) = request { _ = TerminalText.safe(String(line.prefix(40))) }
            }
        default:
            if let plan = try? PlanReader.parse(bytes, file: "fuzz"), let pack = try? PackReader.builtinDefault() {
                _ = try? TimelineCompiler(plan: plan, pack: pack, rate: 48_000, measure: EstimatedClipLengths(rate: 48_000)).compile()
            }
        }
    }
}

#if FUZZING
let fuzzTarget = ProcessInfo.processInfo.environment["UPTURN_FUZZ_TARGET"] ?? "plan"

/// libFuzzer calls this once per input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzTargets.run(fuzzTarget, bytes)
    return 0
}
#else
@main
struct Replay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let target = arguments.first, ["plan", "pack", "audio", "journal", "socket"].contains(target) else {
            FileHandle.standardError.write(Data("usage: upturn-fuzz plan|pack|audio|journal|socket FILE|DIR...\n".utf8))
            exit(64)
        }
        var count = 0
        for path in arguments.dropFirst() {
            var isFolder: ObjCBool = false
            FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            let files = isFolder.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 }
                : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                FuzzTargets.run(target, [UInt8](data))
                count += 1
            }
        }
        print("replayed \(count) \(target) inputs")
    }
}
#endif
