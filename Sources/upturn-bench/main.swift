import Foundation
import UpturnKit
import UpturnSounds

// Upturn's benchmark, run by Scripts/bench: prints each figure, its target, and its ratio
// against the reference tool measured in the same run. Machines are shared and noisy, so
// these are figures to read, never assertions in tests.



struct Child {
    var seconds: Double
    var cpuSeconds: Double
    var maxRSSKilobytes: Int
    var status: Int32
}

/// Starts `upturn` with these arguments in the background, its stderr discarded.
func startUpturn(_ arguments: [String], environment: [String: String]) -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: upturn)
    p.arguments = arguments
    p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, n in n }
    p.standardError = FileHandle.nullDevice
    try? p.run()
    return p
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

/// Sections to run: all, or those named in BENCH_ONLY
/// (synthesis,render,start,memory,cpu,controls,firstword,packs,serve,history,status).
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
    var speechSeconds: [Double] = []
    var pipeline: [Double] = []
    var soxrTimes: [Double] = [], srcTimes: [Double] = []
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
        // The two resamplers side by side on the same prompt.
        let ts0 = now()
        _ = try Resampler.resample(floats, from: engine.nativeRate, to: 48_000, engine: .soxr)
        let ts1 = now()
        _ = try Resampler.resample(floats, from: engine.nativeRate, to: 48_000, engine: .libsamplerate)
        let ts2 = now()
        soxrTimes.append(ts1 - ts0)
        srcTimes.append(ts2 - ts1)
        inProcess.append(t1 - t0)
        totalSamples += raw.count
        speechSeconds.append(Double(raw.count) / Double(engine.nativeRate))
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
    let short = texts.indices.filter { speechSeconds[$0] < 1.5 }
    if !short.isEmpty {
        let sa = median(short.map { inProcess[$0] }) * 1000, sb = median(short.map { command[$0] }) * 1000
        print("     the \(short.count) prompts under 1.5 s of speech: \(fmt(sa)) ms against \(fmt(sb)) ms: \(fmt(sb / sa, 1))x")
    }
    print("     ratio: \(fmt(b / a, 1))x faster")
    figure("cold prompt: synthesize, resample, trim", "\(fmt(c)) ms (espeak-ng -w: \(fmt(b)) ms)", target: ">= 4x faster", ok: b / c >= 4)
    print("     ratio: \(fmt(b / c, 1))x faster; resampling to 48 kHz alone: libsoxr HQ \(fmt(median(soxrTimes) * 1000)) ms, libsamplerate sinc-medium \(fmt(median(srcTimes) * 1000)) ms (\(fmt(median(srcTimes) / median(soxrTimes), 1))x)")
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
// Measured by /usr/bin/time, a process of its own: a child spawned straight from this one
// (posix_spawn shares its memory until exec) reports this process's peak as its own.
func peakRSS(_ arguments: [String]) -> Child {
    let file = scratch + "/rss.txt"
    var run = runChild(["/usr/bin/time", "-f", "%M", "-o", file] + arguments, environment: cacheEnvironment)
    run.maxRSSKilobytes = Int((try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
    return run
}
let shortPlay = peakRSS([upturn, "play", "first-time", "--device", "file:FILE=\(scratch)/m1.wav,FORMAT=wav"])
let longPlay = peakRSS([upturn, "play", "full", "--device", "file:FILE=\(scratch)/m2.wav,FORMAT=wav"])
figure("peak RSS playing full", "\(fmt(Double(longPlay.maxRSSKilobytes) / 1024, 1)) MB", target: "< 30 MB", ok: longPlay.maxRSSKilobytes < 30 * 1024)
print("     first-time (5 min): \(fmt(Double(shortPlay.maxRSSKilobytes) / 1024, 1)) MB; full (\(fmt(fullSeconds / 60, 0)) min): \(fmt(Double(longPlay.maxRSSKilobytes) / 1024, 1)) MB: ratio \(fmt(Double(longPlay.maxRSSKilobytes) / Double(shortPlay.maxRSSKilobytes)))")
}

// 5. Playback CPU through the PulseAudio null sink, against aplay on the same session.
if !wanted("cpu") {
} else if let pulseEnvironment {
    let plan = scratch + "/cpu.json5"
    try? """
    {title: "CPU", steps: [{tilt: 20, settle: "3s"}, {hold: "2m", cues: [{at: "10s", say: "Breathe out slowly."}]}, {tilt: 0, settle: "3s"}]}
    """.write(toFile: plan, atomically: true, encoding: .utf8)
    let wav = scratch + "/cpu.wav"
    _ = runChild([upturn, "render", plan, "--output", wav], environment: cacheEnvironment)
    let env = cacheEnvironment.merging(pulseEnvironment) { _, n in n }
    let ours = runChild([upturn, "play", plan, "--device", "pulse", "--controls", "socket"], environment: env)
    let theirs = runChild(["aplay", "-q", "-D", "pulse", "--buffer-time=200000", "--period-time=50000", wav], environment: env)
    let ratio = ours.cpuSeconds / max(theirs.cpuSeconds, 0.001)
    figure(
        "playback CPU (\(fmt(ours.seconds, 0)) s session)", "\(fmt(ours.cpuSeconds * 1000, 0)) ms (aplay: \(fmt(theirs.cpuSeconds * 1000, 0)) ms)",
        target: "<= 1.2x aplay", ok: ratio <= 1.2)
    print("     ratio: \(fmt(ratio))x aplay's CPU time, both with a 200 ms buffer")
} else {
    print("skip playback CPU: no PulseAudio bed (Scripts/bench starts one)")
}

// 6. Control latency, recovery and idle cost on the PulseAudio bed, read from the monitor
// recording. The cue is a steady tone (a recording in a scratch pack, level-matched like any
// recorded cue to about 0.1 RMS), so the moment it is cut or starts is plain in the level. Recorded samples are timed by when parec
// delivered them; the null sink renders a little ahead, so these figures are good to about
// 10-20 ms.
if wanted("controls"), let pulseEnvironment {
    do { try controlFigures(pulseEnvironment) } catch { print("bench: controls: \(error)") }
}

/// Records the null sink's monitor with parec, noting when each chunk arrived, so a sample
/// index maps to a wall-clock time.
final class MonitorRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [Int16] = []
    private var marks: [(count: Int, time: Double)] = []
    private let process = Process()

    init(environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/parec")
        process.arguments = ["--latency-msec=10", "-d", "upturn.monitor", "--format=s16le", "--rate=48000", "--channels=1", "--raw"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, n in n }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let handle = pipe.fileHandleForReading
        Thread { [self] in
            var carry: [UInt8] = []
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                let t = now()
                carry += data
                let whole = carry.count / 2 * 2
                var chunk = [Int16](repeating: 0, count: whole / 2)
                chunk.withUnsafeMutableBytes { $0.copyBytes(from: carry[0..<whole]) }
                carry.removeFirst(whole)
                lock.lock()
                samples += chunk
                marks.append((samples.count, t))
                lock.unlock()
            }
        }.start()
    }

    func stop() { process.terminate() }

    /// The wall-clock time a sample was captured.
    func time(of index: Int) -> Double? {
        lock.lock(); defer { lock.unlock() }
        guard let mark = marks.first(where: { $0.count > index }) else { return nil }
        return mark.time - Double(mark.count - index) / 48_000
    }

    /// The first 5 ms window after `time` whose level is below `below` (or above `above`).
    func firstWindow(after time: Double, below: Double? = nil, above: Double? = nil) -> Double? {
        lock.lock()
        let copy = samples
        let marksCopy = marks
        lock.unlock()
        guard let startMark = marksCopy.first(where: { $0.time >= time }) else { return nil }
        var i = max(0, startMark.count - Int((startMark.time - time) * 48_000) - 480)
        let window = 240
        while i + window <= copy.count {
            var sum = 0.0
            for k in i..<(i + window) { sum += Double(copy[k]) * Double(copy[k]) }
            let level = (sum / Double(window)).squareRoot() / 32768
            if let below, level < below { return self.time(of: i) }
            if let above, level > above { return self.time(of: i) }
            i += window
        }
        return nil
    }
}

func writeTone(_ path: String, seconds: Double, frequency: Double, amplitude: Double) throws {
    let sink = try WAVFileSink(path: path, rate: 48_000)
    let samples = (0..<Int(seconds * 48_000)).map { Int16((sin(2 * Double.pi * frequency * Double($0) / 48_000) * amplitude * 32767).rounded()) }
    try samples.withUnsafeBufferPointer { try sink.write($0) }
    try sink.finish()
}

func cpuTicks(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // utime and stime are fields 14 and 15; after the ")" they are at 11 and 12.
    return (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
}

func controlFigures(_ pulse: [String: String]) throws {
    let pack = scratch + "/tone-pack"
    try FileManager.default.createDirectory(atPath: pack, withIntermediateDirectories: true)
    try writeTone(pack + "/tone.wav", seconds: 12, frequency: 440, amplitude: 0.5)
    try writeTone(pack + "/quiet.wav", seconds: 0.8, frequency: 440, amplitude: 0.004)
    try writeTone(pack + "/lead.wav", seconds: 0.5, frequency: 660, amplitude: 0.5)
    try """
    {name: "tones", cues: {"hold.halfway": {file: "tone.wav"}, "transport.paused": {file: "quiet.wav"},
     "transport.resuming": {file: "lead.wav"}, "transport.audio-back": {file: "lead.wav"}}}
    """.write(toFile: pack + "/pack.json5", atomically: true, encoding: .utf8)
    let plan = scratch + "/tone.json5"
    try "{title: 'Tone', steps: [{rest: '2s'}, {cue: 'hold.halfway'}, {rest: '20s'}]}".write(toFile: plan, atomically: true, encoding: .utf8)
    let socket = scratch + "/bench.sock"
    var env = cacheEnvironment.merging(pulse) { _, n in n }
    // A private D-Bus session bus, for MPRIS's Pause.
    var bus: Process?
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/dbus-daemon") && FileManager.default.isExecutableFile(atPath: "/usr/bin/busctl") {
        let address = "unix:path=\(scratch)/bus"
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/dbus-daemon")
        daemon.arguments = ["--session", "--nofork", "--address=\(address)"]
        try daemon.run()
        bus = daemon
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        usleep(300_000)
    }
    defer { bus?.terminate() }

    func status() -> [String: Any] {
        guard let reply = try? ControlSocket.send("status", to: socket),
            let object = try? JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any]
        else { return [:] }
        return object
    }
    func waitFor(_ condition: ([String: Any]) -> Bool) {
        let deadline = now() + 30
        while now() < deadline && !condition(status()) { usleep(20_000) }
    }
    func startPlayer() -> Process {
        startUpturn(
            ["play", plan, "--pack", pack, "--device", "pulse", "--controls", bus == nil ? "socket" : "socket,mpris", "--socket", socket],
            environment: env)
    }
    _ = runChild([upturn, "show", plan, "--pack", pack], environment: cacheEnvironment)  // warms the cache

    let recorder = try MonitorRecorder(environment: pulse)
    usleep(2_500_000)
    let player = startPlayer()
    waitFor { ($0["step"] as? Int) == 2 && ($0["step_left"] as? Double ?? 99) < 10 }
    usleep(500_000)
    var eventToSilence: [Double] = [], ctlToSilence: [Double] = [], resumeToSound: [Double] = [], busToSilence: [Double] = []
    for round in 0..<(bus == nil ? 3 : 5) {
        let t0 = now()
        if round == 0 {
            _ = try ControlSocket.send("pause", to: socket)
        } else if round < 3 {
            _ = runChild([upturn, "ctl", "pause", "--socket", socket], environment: env)
        } else {
            _ = runChild(
                ["busctl", "--user", "call", "org.mpris.MediaPlayer2.upturn", "/org/mpris/MediaPlayer2", "org.mpris.MediaPlayer2.Player", "Pause"],
                environment: env)
        }
        usleep(600_000)
        if let cut = recorder.firstWindow(after: t0 - 0.05, below: 0.02) {
            if round == 0 { eventToSilence.append(cut - t0) } else if round < 3 { ctlToSilence.append(cut - t0) } else { busToSilence.append(cut - t0) }
        }
        let t1 = now()
        _ = runChild([upturn, "ctl", "resume", "--socket", socket], environment: env)
        usleep(800_000)
        if let sound = recorder.firstWindow(after: t1, above: 0.05) { resumeToSound.append(sound - t1) }
        usleep(400_000)
    }
    // Idle: the 20 s rest is silence.
    waitFor { ($0["step"] as? Int) == 3 }
    usleep(1_000_000)
    let c0 = cpuTicks(player.processIdentifier), w0 = now()
    usleep(8_000_000)
    let idle = (cpuTicks(player.processIdentifier) - c0) / Double(sysconf(Int32(_SC_CLK_TCK))) / (now() - w0) * 100
    _ = try? ControlSocket.send("stop", to: socket)
    player.waitUntilExit()
    recorder.stop()

    let ms = { (x: [Double]) in fmt(median(x) * 1000, 0) + " ms" }
    figure("control event to silence", eventToSilence.isEmpty ? "not measured" : ms(eventToSilence), target: "< 30 ms",
           ok: !eventToSilence.isEmpty && median(eventToSilence) < 0.03)
    figure("`upturn ctl pause` to silence", ctlToSilence.isEmpty ? "not measured" : ms(ctlToSilence) + " (median of \(ctlToSilence.count))",
           target: "< 80 ms", ok: !ctlToSilence.isEmpty && median(ctlToSilence) < 0.08)
    figure("`upturn ctl resume` to sound", resumeToSound.isEmpty ? "not measured" : ms(resumeToSound) + " (median of \(resumeToSound.count))",
           target: "< 80 ms", ok: !resumeToSound.isEmpty && median(resumeToSound) < 0.08)
    figure("D-Bus (MPRIS) Pause to silence", busToSilence.isEmpty ? "not measured (no dbus-daemon)" : ms(busToSilence) + " (median of \(busToSilence.count), busctl)",
           target: "< 80 ms", ok: !busToSilence.isEmpty && median(busToSilence) < 0.08)
    print("     (recorded samples are timed by when parec delivered them; the null sink renders ahead, so these are good to about 20 ms)")
    figure("idle CPU during a silent hold", fmt(idle, 2) + "% of a core", target: "< 1%", ok: idle < 1)

    // Recovery: the sound server killed during the tone, and started again.
    let runtime = pulse["XDG_RUNTIME_DIR"]!
    let recovering = startPlayer()
    waitFor { ($0["step"] as? Int) == 2 && ($0["step_left"] as? Double ?? 99) < 10 }
    if let pid = Int32((try? String(contentsOfFile: runtime + "/pulse/pid", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") {
        kill(pid, SIGTERM)
    }
    waitFor { $0["audio_lost"] as? Bool == true }
    usleep(1_500_000)
    let restart = runChild(["pulseaudio", "-n", "--daemonize=yes", "--exit-idle-time=-1", "--disallow-exit", "--enable-memfd=no",
                            "--use-pid-file=yes", "-L", "module-null-sink sink_name=upturn rate=48000 channels=1",
                            "-L", "module-native-protocol-unix"], environment: pulse)
    let back = now()
    let after = try MonitorRecorder(environment: pulse)
    waitFor { $0["audio_lost"] as? Bool == false }
    let reopened = now() - back
    usleep(3_000_000)
    let firstSound = after.firstWindow(after: back, above: 0.05)
    _ = try? ControlSocket.send("stop", to: socket)
    recovering.waitUntilExit()
    after.stop()
    let recovery = firstSound.map { $0 - back }
    figure("sound back after server restart", recovery.map { fmt($0 * 1000, 0) + " ms" } ?? "not heard (restart status \(restart.status))",
           target: "< 2000 ms", ok: (recovery ?? 99) < 2)
    print("     the device reopened \(fmt(reopened * 1000, 0)) ms after the server came back; the rest is the null sink's first-stream")
    print("     wake-up, which the recorder's own new stream waits through too")
}

// 6b. The first word: launch of `play` to the first sound heard on the PulseAudio bed, with a
// warm prompt cache and with an empty one, for a short and a long session (median of 3).
if wanted("firstword"), let pulseEnvironment {
    do { try firstWordFigures(pulseEnvironment) } catch { print("bench: first word: \(error)") }
}

func firstWordFigures(_ pulse: [String: String]) throws {
    let recorder = try MonitorRecorder(environment: pulse)
    usleep(2_500_000)
    func firstWord(_ plan: String, cache: String) -> Double? {
        let t0 = now()
        let player = startUpturn(
            ["play", plan, "--device", "pulse", "--controls", "none"], environment: pulse.merging(["XDG_CACHE_HOME": cache]) { _, n in n })
        var heard: Double?
        let deadline = now() + 5
        while heard == nil && now() < deadline {
            usleep(50_000)
            heard = recorder.firstWindow(after: t0, above: 0.02)
        }
        usleep(200_000)
        player.terminate()  // upright in the welcome: it ends at once
        player.waitUntilExit()
        usleep(300_000)
        return heard.map { $0 - t0 }
    }
    var results: [String: Double] = [:]
    for plan in ["first-time", "full"] {
        let warmCache = scratch + "/cache"
        _ = firstWord(plan, cache: warmCache)  // warms it
        var warm: [Double] = [], cold: [Double] = []
        for round in 0..<3 {
            if let t = firstWord(plan, cache: warmCache) { warm.append(t) }
            if let t = firstWord(plan, cache: scratch + "/cold-\(plan)-\(round)") { cold.append(t) }
        }
        results[plan + " warm"] = warm.isEmpty ? nil : median(warm)
        results[plan + " cold"] = cold.isEmpty ? nil : median(cold)
    }
    recorder.stop()
    guard let fullWarm = results["full warm"], let fullCold = results["full cold"], let shortCold = results["first-time cold"] else {
        print("bench: first word: not heard")
        return
    }
    figure("first word of full, empty cache", "\(fmt(fullCold * 1000, 0)) ms (warm: \(fmt(fullWarm * 1000, 0)) ms)",
           target: "<= warm + 100 ms", ok: fullCold <= fullWarm + 0.1)
    figure("first word, empty cache: full - first-time", "\(fmt((fullCold - shortCold) * 1000, 0)) ms",
           target: "within 20 ms", ok: abs(fullCold - shortCold) <= 0.02)
    print("     first-time: \(fmt(shortCold * 1000, 0)) ms cold, \(fmt((results["first-time warm"] ?? 0) * 1000, 0)) ms warm; 300 ms of that is the lead-in, played while the session is made")
}

// 7. Packs: `upturn check` of a plan and its pack; cold synthesis and decoding of a whole
// shipped pack (every key, empty cache); a warm load of it.
if wanted("packs") {
    do { try packFigures() } catch { print("bench: packs: \(error)") }
}

func packFigures() throws {
    let plan = scratch + "/check-plan.json5"
    try (BuiltinPrograms.source("full") ?? "").replacingOccurrences(of: "title: \"Full session\",", with: "title: \"Full session\", pack: \"de\",")
        .write(toFile: plan, atomically: true, encoding: .utf8)
    let packFolder = ShippedSoundsFolder.path + "/de"
    var checks: [Double] = []
    for _ in 0..<7 { checks.append(runChild([upturn, "check", plan, packFolder], environment: cacheEnvironment).seconds) }
    figure("check a plan and its pack", fmt(median(checks) * 1000, 1) + " ms", target: "< 50 ms", ok: median(checks) < 0.05)

    var colds: [Double] = [], warms: [Double] = []
    for round in 0..<3 {
        let folder = scratch + "/pack-cache-\(round)"
        try? FileManager.default.removeItem(atPath: folder)
        let t0 = now()
        let pack = try PackLocator.load(packFolder)
        var clips: [ClipSource] = []
        for key in CueKey.all {
            switch pack.cues[key.key] {
            case .text(let template)?: clips.append(.speech(text: Template.fill(template, PackAuthoring.exampleValues), voice: pack.voice))
            case .recording(let ref, _)?: clips.append(.recording(ref, volume: pack.voice.volume))
            case nil: break
            }
        }
        for n in 1...12 { clips.append(.speech(text: "\(n)", voice: pack.voice)) }
        clips += CueKey.soundNames.compactMap { pack.sounds[$0].map { ClipSource.audio($0) } }
        let cold = ClipLibrary(rate: 48_000, cache: PromptCache(folder: folder))
        cold.prefetch(clips)  // as `pack audition` and a session make a cold pack: side by side
        for clip in clips { _ = try cold.frames(of: clip) }
        colds.append(now() - t0)
        let t1 = now()
        let again = try PackLocator.load(packFolder)
        let warm = ClipLibrary(rate: 48_000, cache: PromptCache(folder: folder))
        for clip in clips { _ = try warm.frames(of: clip) }
        _ = again
        warms.append(now() - t1)
    }
    figure("cold pack: synthesize and decode", fmt(median(colds) * 1000, 0) + " ms (de, every key, 12 counts)", target: "< 300 ms", ok: median(colds) < 0.3)
    figure("warm pack load", fmt(median(warms) * 1000, 1) + " ms", target: "< 20 ms", ok: median(warms) < 0.02)
}

// 8. The service: idle cost while waiting for a press, press to first word, and history
// over a long journal.
if wanted("serve"), let pulseEnvironment {
    do { try serveFigures(pulseEnvironment) } catch { print("bench: serve: \(error)") }
}
if wanted("history") {
    do { try historyFigures() } catch { print("bench: history: \(error)") }
}
// 9. Status reads: a desktop status bar polls `ctl status` (MPRIS's metadata is 15-21 reads)
// for hours. Mid-session, over the socket: a read's time and the player's memory after
// 10 000 reads and after BENCH_STATUS_READS (1 000 000), which must be flat.
if wanted("status"), let pulseEnvironment {
    do { try statusFigures(pulseEnvironment) } catch { print("bench: status: \(error)") }
}

func statusFigures(_ pulse: [String: String]) throws {
    let socket = scratch + "/status.sock"
    let plan = scratch + "/status-hold.json5"
    try "{title: 'Soak', steps: [{hold: '30m'}]}".write(toFile: plan, atomically: true, encoding: .utf8)
    let player = startUpturn(["play", plan, "--device", "pulse", "--controls", "socket", "--socket", socket, "--alone"],
                             environment: cacheEnvironment.merging(pulse) { _, n in n })
    defer { player.terminate(); player.waitUntilExit() }
    let deadline = now() + 30
    while now() < deadline && (try? ControlSocket.send("status", to: socket))?.contains("\"step\"") != true { usleep(50_000) }
    let total = Int(ProcessInfo.processInfo.environment["BENCH_STATUS_READS"] ?? "") ?? 1_000_000
    let window = 10_000
    var done = 0, failures = 0
    /// Reads `count` statuses and returns the time a read took, in ms.
    func read(_ count: Int) -> Double {
        let t0 = now()
        for _ in 0..<count where (try? ControlSocket.send("status", to: socket))?.hasPrefix("{") != true { failures += 1 }
        done += count
        return (now() - t0) / Double(count) * 1000
    }
    let rss0 = rssKilobytes(player.processIdentifier)
    let first = read(window)
    let rss1 = rssKilobytes(player.processIdentifier)
    _ = read(max(0, total - done - window))
    let last = read(window)
    let rss2 = rssKilobytes(player.processIdentifier)
    let alive = player.isRunning
    let mb = { (kb: Int) in fmt(Double(kb) / 1024, 1) + " MB" }
    figure("status read after \(window)", fmt(first, 3) + " ms, RSS " + mb(rss0) + " -> " + mb(rss1), target: "a reply to each", ok: failures == 0 && alive)
    figure("status read after \(done)", fmt(last, 3) + " ms, RSS " + mb(rss2) + (alive ? "" : ", player died") + (failures > 0 ? ", \(failures) failed" : ""),
           target: "<= 1.2x, RSS + < 2 MB", ok: alive && failures == 0 && last <= first * 1.2 && rss2 - rss1 < 2048)
    figure("status reads a second", fmt(1000 / first, 0) + " -> " + fmt(1000 / last, 0), target: "flat", ok: last <= first * 1.2)
}

func rssKilobytes(_ pid: Int32) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

func serveFigures(_ pulse: [String: String]) throws {
    let socket = scratch + "/serve.sock"
    let data = scratch + "/serve-data"
    let env = cacheEnvironment.merging(pulse) { _, n in n }.merging(["XDG_DATA_HOME": data, "XDG_CONFIG_HOME": scratch + "/serve-config"]) { _, n in n }
    func startServe() -> Process {
        let p = startUpturn(["serve", "--device", "pulse", "--controls", "socket", "--socket", socket], environment: env)
        let deadline = now() + 10
        while now() < deadline && (try? ControlSocket.send("status", to: socket))?.contains("waiting") != true { usleep(20_000) }
        return p
    }
    func stopServe(_ p: Process) {
        p.terminate()
        p.waitUntilExit()
    }
    let recorder = try MonitorRecorder(environment: pulse)
    usleep(2_500_000)
    // Warm the prompt cache with one announcement.
    let warm = startServe()
    _ = try? ControlSocket.send("toggle", to: socket)
    usleep(8_000_000)
    stopServe(warm)

    var latencies: [Double] = []
    for _ in 0..<3 {
        let serve = startServe()
        usleep(1_000_000)
        let t0 = now()
        _ = try ControlSocket.send("toggle", to: socket)
        usleep(1_500_000)
        if let sound = recorder.firstWindow(after: t0, above: 0.02) { latencies.append(sound - t0) }
        stopServe(serve)
        usleep(300_000)
    }
    recorder.stop()
    let idleSeconds = Double(ProcessInfo.processInfo.environment["BENCH_SERVE_IDLE_SECONDS"] ?? "") ?? 60
    let serve = startServe()
    usleep(1_000_000)
    let c0 = cpuTicks(serve.processIdentifier), w0 = now()
    usleep(UInt32(idleSeconds * 1_000_000))
    let idle = (cpuTicks(serve.processIdentifier) - c0) / Double(sysconf(Int32(_SC_CLK_TCK))) / (now() - w0) * 100
    let rss = rssKilobytes(serve.processIdentifier)
    stopServe(serve)

    figure("serve: press to first word", latencies.isEmpty ? "not measured" : fmt(median(latencies) * 1000, 0) + " ms (median of \(latencies.count))",
           target: "< 150 ms", ok: !latencies.isEmpty && median(latencies) < 0.15)
    figure("serve: CPU waiting for a press", fmt(idle, 3) + "% of a core over \(fmt(idleSeconds, 0)) s", target: "< 0.1%", ok: idle < 0.1)
    figure("serve: RSS waiting", fmt(Double(rss) / 1024, 1) + " MB", target: "< 30 MB", ok: rss > 0 && rss < 30 * 1024)
}

func historyFigures() throws {
    let data = scratch + "/history-data"
    try FileManager.default.createDirectory(atPath: data + "/upturn", withIntermediateDirectories: true)
    var text = ""
    let format = ISO8601DateFormatter()
    let base = Date().addingTimeInterval(-10_000 * 86_400)
    for i in 0..<10_000 {
        let start = format.string(from: base.addingTimeInterval(Double(i) * 86_400))
        let end = format.string(from: base.addingTimeInterval(Double(i) * 86_400 + 720))
        let program = i % 2 == 0 ? "stretch" : "core"
        text += "{\"event\":\"start\",\"id\":\"s\(i)\",\"level\":\(1 + i % 12),\"plan\":\"today\",\"program\":\"\(program)\",\"start\":\"\(start)\",\"steps\":15,\"title\":\"T\",\"v\":1}\n"
        text += "{\"end\":\"\(end)\",\"ended\":\"finished\",\"event\":\"end\",\"highest_angle\":40,\"id\":\"s\(i)\",\"inverted_seconds\":480.5,\"steps_done\":15,\"v\":1}\n"
    }
    try text.write(toFile: data + "/upturn/history.jsonl", atomically: true, encoding: .utf8)
    let env = ["XDG_DATA_HOME": data, "XDG_CONFIG_HOME": scratch + "/history-config"]
    var plain: [Double] = [], json: [Double] = []
    for _ in 0..<5 {
        plain.append(runChild([upturn, "history"], environment: env).seconds)
        json.append(runChild([upturn, "history", "--json"], environment: env).seconds)
    }
    figure("history of 10 000 sessions", fmt(median(plain) * 1000, 0) + " ms (--json: " + fmt(median(json) * 1000, 0) + " ms)",
           target: "< 200 ms", ok: max(median(plain), median(json)) < 0.2)
}

enum ShippedSoundsFolder {
    static var path: String { ShippedSounds.sourceFolder }
}
