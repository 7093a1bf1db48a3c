import Foundation
import UpturnKit

// Upturn's benchmark, run by Scripts/bench: prints each figure, its target, and its ratio
// against the reference tool measured in the same run. Machines are shared and noisy, so
// these are figures to read, never assertions in tests.



struct Child {
    var seconds: Double
    var cpuSeconds: Double
    var maxRSSKilobytes: Int
    var status: Int32
}

/// Runs a command to the end and returns its wall time, CPU time and peak memory (wait4).
func runChild(_ arguments: [String], environment: [String: String] = [:], quiet: Bool = true) -> Child {
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { _, new in new }
    let envStrings = env.map { "\($0.key)=\($0.value)" }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    if quiet {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    var pid: pid_t = 0
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = envStrings.map { strdup($0) } + [nil]
    var start = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
    argv.forEach { free($0) }
    envp.forEach { free($0) }
    posix_spawn_file_actions_destroy(&actions)
    guard spawned == 0 else {
        print("bench: cannot run \(arguments[0])")
        exit(1)
    }
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    var end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &end)
    let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    return Child(seconds: seconds, cpuSeconds: cpu, maxRSSKilobytes: usage.ru_maxrss, status: (status >> 8) & 0xFF)
}

func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
}

func figure(_ name: String, _ value: String, target: String, ok: Bool) {
    let mark = ok ? "ok  " : "MISS"
    print("\(mark) \(name.padding(toLength: 34, withPad: " ", startingAt: 0)) \(value.padding(toLength: 40, withPad: " ", startingAt: 0)) target: \(target)")
}

func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

let args = CommandLine.arguments
let upturn = args.count > 1 ? args[1] : ".build/release/upturn"
let scratch = args.count > 2 ? args[2] : NSTemporaryDirectory() + "upturn-bench"
let pulseEnvironment: [String: String]? = args.count > 3 ? ["XDG_RUNTIME_DIR": args[3]] : nil
try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
let cacheEnvironment = ["XDG_CACHE_HOME": scratch + "/cache"]

/// Sections to run: all, or those named in BENCH_ONLY (synthesis,render,start,memory,cpu).
let only = ProcessInfo.processInfo.environment["BENCH_ONLY"].map { Set($0.split(separator: ",").map(String.init)) }
func wanted(_ section: String) -> Bool { only?.contains(section) ?? true }

// 1. Synthesis per prompt: in-process libespeak-ng against one `espeak-ng -w` per prompt.
if wanted("synthesis") { do {
    let plan = try BuiltinPrograms.plan("full")!
    let pack = try PackReader.builtinDefault()
    let timeline = try TimelineCompiler(plan: plan, pack: pack, rate: 48_000, measure: EstimatedClipLengths(rate: 48_000)).compile()
    var texts: [String] = []
    var cueTexts: Set<String> = []
    for event in timeline.events {
        if case .speech(let text, _)? = event.clip, !texts.contains(text) {
            texts.append(text)
            if event.key != "say" { cueTexts.insert(text) }
        }
    }
    let voice = pack.voice
    let engine = try EspeakSynthesizer()
    _ = try engine.synthesize("Warm up.", voice: voice)
    var inProcess: [Double] = []
    var totalSamples = 0
    var pipeline: [Double] = []
    for text in texts {
        let t0 = now()
        let raw = try engine.synthesize(text, voice: voice)
        let t1 = now()
        let floats = ClipShaping.toFloat(raw)
        let tf = now()
        let resampled = try Resampler.resample(floats, from: engine.nativeRate, to: 48_000)
        let tr = now()
        _ = ClipShaping.shape(resampled, rate: 48_000)
        let t2 = now()
        if ProcessInfo.processInfo.environment["BENCH_DETAIL"] != nil { print("convert \(fmt((tf-t1)*1000)) resample \(fmt((tr-tf)*1000)) shape \(fmt((t2-tr)*1000))") }
        inProcess.append(t1 - t0)
        totalSamples += raw.count
        pipeline.append(t2 - t0)
    }
    var command: [Double] = []
    for text in texts {
        let run = runChild(["espeak-ng", "-v", voice.name, "-s", "\(voice.rate)", "-p", "\(voice.pitch)", "-w", scratch + "/prompt.wav", text])
        command.append(run.seconds)
    }
    let a = median(inProcess) * 1000, b = median(command) * 1000, c = median(pipeline) * 1000
    print("synthesis: \(texts.count) prompts of the full program (\(fmt(Double(totalSamples) / Double(engine.nativeRate), 1)) s of speech), median per prompt")
    figure("in-process libespeak-ng", "\(fmt(a)) ms (espeak-ng -w: \(fmt(b)) ms)", target: ">= 8x faster", ok: b / a >= 8)
    let cueIndices = texts.indices.filter { cueTexts.contains(texts[$0]) }
    let cueA = median(cueIndices.map { inProcess[$0] }) * 1000, cueB = median(cueIndices.map { command[$0] }) * 1000
    print("     the pack's \(cueIndices.count) cue prompts alone: \(fmt(cueA)) ms against \(fmt(cueB)) ms: \(fmt(cueB / cueA, 1))x")
    print("     ratio: \(fmt(b / a, 1))x faster; with resampling to 48 kHz and trimming: \(fmt(c)) ms (\(fmt(b / c, 1))x)")
} catch {
    print("bench: synthesis: \(error)")
} }

// 2. Render: a warm-cache render of `full`.
let fullWAV = scratch + "/full.wav"
var fullSeconds = 0.0
if wanted("render") || wanted("memory") {
_ = runChild([upturn, "render", "full", "--output", fullWAV], environment: cacheEnvironment)  // warms the cache
var renders: [Double] = []
for _ in 0..<5 { renders.append(runChild([upturn, "render", "full", "--output", fullWAV], environment: cacheEnvironment).seconds) }
fullSeconds = Double(((try? FileManager.default.attributesOfItem(atPath: fullWAV)[.size] as? Int) ?? 44) - 44) / 2 / 48_000
let renderRatio = fullSeconds / median(renders)
figure("render full (warm cache)", "\(fmt(median(renders) * 1000, 0)) ms for \(fmt(fullSeconds / 60, 1)) min", target: ">= 1000x real time", ok: renderRatio >= 1000)
print("     ratio: \(fmt(renderRatio, 0))x real time")
}

// 3. Start: launch to the first frame written, warm cache (median of 7).
if wanted("start") {
var starts: [Double] = []
for i in 0..<7 {
    let stamp = scratch + "/first-frame-\(i)"
    unlink(stamp)
    let t0 = Date().timeIntervalSince1970
    _ = runChild(
        [upturn, "play", "first-time", "--device", "file:FILE=\(scratch)/start.wav,FORMAT=wav"],
        environment: cacheEnvironment.merging(["UPTURN_FIRST_FRAME_FILE": stamp]) { _, n in n })
    if let text = try? String(contentsOfFile: stamp, encoding: .utf8), let t1 = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
        starts.append(t1 - t0)
    }
}
figure("start to first frame", "\(fmt(median(starts) * 1000, 1)) ms", target: "< 100 ms", ok: !starts.isEmpty && median(starts) < 0.1)
}

// 4. Memory: peak RSS while playing, and flat in the session's length.
if wanted("memory") {
_ = runChild([upturn, "render", "first-time", "--output", scratch + "/warm.wav"], environment: cacheEnvironment)  // warms the cache
let shortPlay = runChild([upturn, "play", "first-time", "--device", "file:FILE=\(scratch)/m1.wav,FORMAT=wav"], environment: cacheEnvironment)
let longPlay = runChild([upturn, "play", "full", "--device", "file:FILE=\(scratch)/m2.wav,FORMAT=wav"], environment: cacheEnvironment)
figure("peak RSS playing full", "\(fmt(Double(longPlay.maxRSSKilobytes) / 1024, 1)) MB", target: "< 30 MB", ok: longPlay.maxRSSKilobytes < 30 * 1024)
print("     first-time (5 min): \(fmt(Double(shortPlay.maxRSSKilobytes) / 1024, 1)) MB; full (\(fmt(fullSeconds / 60, 0)) min): \(fmt(Double(longPlay.maxRSSKilobytes) / 1024, 1)) MB: ratio \(fmt(Double(longPlay.maxRSSKilobytes) / Double(shortPlay.maxRSSKilobytes)))")
}

// 5. Playback CPU through the PulseAudio null sink, against aplay on the same session.
if !wanted("cpu") {
} else if let pulseEnvironment {
    let plan = scratch + "/cpu.json5"
    try? """
    {title: "CPU", steps: [{tilt: 20, settle: "3s"}, {hold: "40s", cues: [{at: "10s", say: "Breathe out slowly."}]}, {tilt: 0, settle: "3s"}]}
    """.write(toFile: plan, atomically: true, encoding: .utf8)
    let wav = scratch + "/cpu.wav"
    _ = runChild([upturn, "render", plan, "--output", wav], environment: cacheEnvironment)
    let env = cacheEnvironment.merging(pulseEnvironment) { _, n in n }
    let ours = runChild([upturn, "play", plan, "--device", "pulse"], environment: env)
    let theirs = runChild(["aplay", "-q", "-D", "pulse", "--buffer-time=200000", "--period-time=50000", wav], environment: env)
    let ratio = ours.cpuSeconds / max(theirs.cpuSeconds, 0.001)
    figure(
        "playback CPU (\(fmt(ours.seconds, 0)) s session)", "\(fmt(ours.cpuSeconds * 1000, 0)) ms (aplay: \(fmt(theirs.cpuSeconds * 1000, 0)) ms)",
        target: "<= 1.2x aplay", ok: ratio <= 1.2)
    print("     ratio: \(fmt(ratio))x aplay's CPU time, both with a 200 ms buffer")
} else {
    print("skip playback CPU: no PulseAudio bed (Scripts/bench starts one)")
}
