import Foundation
import Synchronization
import UpturnKit

enum ServeCommand {
    static let help = """
        usage: upturn serve [--device NAME] [--pack NAME|DIR] [--volume 0-100] [--rate HZ]
                            [--controls LIST] [--socket PATH] [--keep-alive] [--alone]

        Runs as a service beside the table (systemd starts it: Scripts/install-service).
        It waits for a press. A press says what today holds ("Today: core, level 3,
        35 degrees, 12 minutes. Press to begin."); a second press begins it. A long press
        (or the skip button) lists the other sessions and says them one by one; a press
        begins the one just said. `upturn ctl start [PLAN]` begins a session at once.
        Every session is kept in the history, and today's plan moves on from it.

        It starts before the sound card is ready and waits for it, never exits on a lost
        device, and logs one line per event to stderr (the journal, under systemd).
        SIGTERM ends it (after "Slowly return upright" when a session is inverted).

        The options are those of `upturn play`; --controls defaults to the socket (and the
        keyboard on a terminal).
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(
            words, command: "serve", valued: ["--device", "--pack", "--volume", "--rate", "--controls", "--socket"],
            flags: ["--keep-alive", "--alone"])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "serve")
        let rate = try CommandLineTool.rate(arguments, command: "serve")
        let volume = try arguments.integer("--volume", in: 0...100, command: "serve") ?? 100
        let specs = try CommandLineTool.controlSpecs(arguments)
        let keyMap = try ControlSpec.loadKeyMap()
        let server = Server(
            device: arguments.options["--device"] ?? "default", pack: arguments.options["--pack"], rate: rate, volume: volume,
            keepAlive: arguments.flags.contains("--keep-alive"), aloneFlag: arguments.flags.contains("--alone"))
        return try server.run(specs: specs, keyMap: keyMap, socketPath: arguments.options["--socket"] ?? ControlSocket.defaultPath)
    }
}

/// The service: a small state machine between sessions, driven by the same controls as
/// `play`, on the main thread; each session runs on its own audio thread (SessionRunner).
private final class Server {
    let device: String
    let pack: String?
    let rate: Int
    let volume: Int
    let keepAlive: Bool
    let aloneFlag: Bool
    let queue = ControlQueue()
    let board = StatusBoard(idle: "{\"state\": \"starting\"}")
    let journal = Journal()
    let requests = StartRequests()

    /// How long an announcement waits for its second press.
    static let answerSeconds = 60.0
    /// The choices a long press goes through: today first, then the built-in programs.
    let choices = [Session.todayProgram] + BuiltinPrograms.names
    private var chosen: Int?
    private var announcedAt = 0.0
    private var deviceReady = false
    private var signalsSeen = (stop: 0, toggle: 0, skip: 0)

    init(device: String, pack: String?, rate: Int, volume: Int, keepAlive: Bool, aloneFlag: Bool) {
        self.device = device
        self.pack = pack
        self.rate = rate
        self.volume = volume
        self.keepAlive = keepAlive
        self.aloneFlag = aloneFlag
    }

    func log(_ line: String) {
        CommandLineTool.printError("upturn serve: " + line)
    }

    func run(specs: [ControlSpec], keyMap: [Int: ControlCommand], socketPath: String) throws(UpturnError) -> ExitCode {
        Signals.install(wake: queue)
        signalsSeen = Signals.counts
        var sources: [any ControlSource] = []
        defer { sources.forEach { $0.stop() } }
        let board = self.board, requests = self.requests, queue = self.queue
        for spec in specs {
            do throws(UpturnError) {
                let source = try spec.source(
                    keyMap: keyMap, socketPath: socketPath, status: { board.json },
                    report: { CommandLineTool.printError("upturn serve: controls: " + $0) }, waitForDevices: true)
                if let socket = source as? ControlSocket {
                    socket.onStart = { plan in
                        guard !requests.playing.load(ordering: .relaxed) else {
                            return "error: a session is playing; `upturn ctl stop` ends it"
                        }
                        let name = plan ?? Session.todayProgram
                        if name != Session.todayProgram {
                            do throws(UpturnError) { _ = try Session.loadPlan(name) } catch {
                                return "error: " + (error.problems.first ?? "cannot load \(name)")
                            }
                        }
                        requests.plans.withLock { $0.append(name) }
                        queue.wake()
                        return "ok"
                    }
                }
                try source.start(queue)
                sources.append(source)
            } catch {
                // The socket is how `ctl` reaches us: without it (another serve owns it) we stop.
                if spec == .socket { throw error }
                log("controls: \(error.problems.first ?? ""); going on without it")
            }
        }
        let names = specs.map { spec -> String in
            switch spec {
            case .keyboard: return "keyboard"
            case .socket: return "socket \(socketPath)"
            case .evdev(let path): return "evdev \(path)"
            case .evdevAuto: return "evdev auto"
            case .gpio(let chip, let lines): return "gpio \(chip):\(lines.map(String.init).joined(separator: ","))"
            }
        }
        log("started (device \(device); controls: \(names.joined(separator: ", ")))")
        probeDevice(quiet: false)
        refreshIdle()
        log("waiting for a press")

        while true {
            var timeout: Int32 = -1
            if !deviceReady { timeout = 1000 }
            if chosen != nil {
                let left = Int32(max(0, (announcedAt + Self.answerSeconds - MonotonicClock.now) * 1000))
                timeout = timeout < 0 ? left : min(timeout, left)
            }
            queue.wait(milliseconds: timeout)
            if !deviceReady { probeDevice(quiet: true) }
            let signals = Signals.counts
            if signals.stop > signalsSeen.stop {
                log("stopping (signal)")
                return .ok
            }
            var commands = Array(repeating: ControlCommand.toggle, count: max(0, signals.toggle - signalsSeen.toggle))
            commands += Array(repeating: ControlCommand.skip, count: max(0, signals.skip - signalsSeen.skip))
            signalsSeen = signals
            commands += queue.take()
            let requested = requests.plans.withLock { list in
                defer { list.removeAll() }
                return list
            }
            if let plan = requested.first {
                log("start requested: \(plan)")
                chosen = nil
                if try runSession(plan) { return .ok }
                continue
            }
            for command in commands {
                if try press(command) { return .ok }
            }
            if chosen != nil && MonotonicClock.now >= announcedAt + Self.answerSeconds {
                log("no second press in \(Int(Self.answerSeconds)) s; waiting again")
                chosen = nil
                refreshIdle()
                sayWaiting()
            }
        }
    }

    /// One control while waiting. True when the service should end (a signal during a session).
    private func press(_ command: ControlCommand) throws(UpturnError) -> Bool {
        switch (chosen, command) {
        case (nil, .toggle), (nil, .pause), (nil, .resume), (nil, .back):
            log("press: announcing today's session")
            announce(0, listing: false)
        case (nil, .skip), (nil, .stop), (0?, .stop):
            // From today's announcement too: the first long press says what else there is.
            log("long press: listing the other sessions")
            announce(1, listing: true)
        case (let c?, .toggle), (let c?, .pause), (let c?, .resume):
            chosen = nil
            log("second press: starting \(choices[c])")
            return try runSession(choices[c])
        case (let c?, .skip), (let c?, .stop):
            announce((c + 1) % choices.count, listing: false)
        case (let c?, .back):
            announce((c + choices.count - 1) % choices.count, listing: false)
        }
        return false
    }

    /// Says a choice (and, first, the list of the others) and waits for the second press.
    private func announce(_ index: Int, listing: Bool) {
        chosen = index
        announcedAt = MonotonicClock.now
        refreshIdle()
        let name = choices[index]
        do throws(UpturnError) {
            let session = try prepare(name, firstEverPreamble: false)
            let compiler = TimelineCompiler(plan: session.plan, pack: session.pack, rate: rate, measure: session.library)
            var cues: [Interjection] = []
            if listing {
                let others = choices.dropFirst().map { BuiltinPrograms.title($0) ?? $0 }
                cues.append(try compiler.interjection(.serveChoices, values: ["list": others.joined(separator: ", ")]))
            }
            let minutes = "\(session.timeline.spokenMinutes)"
            if let today = session.today, today.fallback == nil {
                let program = BuiltinPrograms.title(today.program) ?? today.program
                cues.append(
                    try compiler.interjection(
                        .serveToday, values: ["program": program, "level": "\(today.level)", "angle": "\(today.angle)", "minutes": minutes]))
                log("today: \(today.program), level \(today.level), \(today.angle)°, \(minutes) min")
            } else {
                let program = session.today == nil ? (BuiltinPrograms.title(name) ?? name) : (BuiltinPrograms.title("first-time") ?? "First time")
                cues.append(try compiler.interjection(.serveChoice, values: ["program": program, "minutes": minutes]))
                log("choice: \(name), \(minutes) min")
            }
            speak(cues, clips: session.library)
        } catch {
            log("cannot announce \(name): \(error.problems.first ?? "")")
        }
    }

    /// "Waiting. Press when you want to start.": the announcement was not taken up.
    private func sayWaiting() {
        do throws(UpturnError) {
            // One cue: the pack is enough; no session to lay out.
            let library = ClipLibrary(rate: rate, cache: PromptCache())
            let compiler = TimelineCompiler(plan: Plan(title: "", steps: []), pack: try PackLocator.load(pack), rate: rate, measure: library)
            speak([try compiler.interjection(.serveWaiting)], clips: library)
        } catch {
            log("cannot say so: \(error.problems.first ?? "")")
        }
    }

    /// `firstEverPreamble`: a session to play (the first of a new history opens with the
    /// safety preamble), not one to announce.
    private func prepare(_ name: String, firstEverPreamble: Bool) throws(UpturnError) -> Session {
        let alone = aloneFlag || PlayCommand.aloneSetting(log: { self.log($0) })
        return try Session.prepare(plan: name, pack: pack, rate: rate, firstEverPreamble: firstEverPreamble, alone: alone, journal: journal)
    }

    /// Plays short spoken cues on the device, opened for them and closed after; a control
    /// cuts them off (the main loop then handles it).
    private func speak(_ cues: [Interjection], clips: any ClipProviding) {
        let sink: ALSASink
        do throws(UpturnError) {
            sink = try ALSASink(device: device, rate: rate)
            deviceReady = true
        } catch {
            deviceReady = false
            log("audio device not ready: \(error.problems.first ?? ""); the announcement is lost")
            return
        }
        var block = [Int16](repeating: 0, count: max(256, sink.periodFrames))
        for cue in cues {
            let renderer = Renderer(events: cue.events, frames: cue.frames, clips: clips, gain: Float(volume) / 100)
            while true {
                if queue.hasPending {
                    sink.abort()
                    return
                }
                do throws(UpturnError) {
                    let n = try block.withUnsafeMutableBufferPointer { out throws(UpturnError) in try renderer.render(into: out) }
                    if n == 0 { break }
                    var offset = 0
                    while offset < n && !queue.hasPending {
                        offset += try block.withUnsafeBufferPointer { buffer throws(UpturnError) in
                            try sink.write(UnsafeBufferPointer(rebasing: buffer[offset..<n]), wakeFD: queue.wakeFD)
                        }
                    }
                } catch {
                    log("audio: \(error.problems.first ?? "")")
                    sink.abort()
                    return
                }
            }
        }
        try? sink.finish()
    }

    /// Plays one session; true when the service should end (SIGTERM came during it).
    private func runSession(_ name: String) throws(UpturnError) -> Bool {
        let session: Session
        do throws(UpturnError) {
            session = try prepare(name, firstEverPreamble: true)
        } catch {
            log("cannot start \(name): \(error.problems.first ?? "")")
            refreshIdle()
            return false
        }
        if let why = session.today?.fallback { log("today: \(why); playing first-time") }
        // The sound card may still be coming up: wait for it, up to half a minute.
        var sink: ALSASink?
        let deadline = MonotonicClock.now + 30
        while sink == nil {
            do throws(UpturnError) { sink = try ALSASink(device: device, rate: rate) } catch {
                if MonotonicClock.now >= deadline || Signals.counts.stop > signalsSeen.stop {
                    log("cannot start \(name): \(error.problems.first ?? "")")
                    deviceReady = false
                    refreshIdle()
                    return Signals.counts.stop > signalsSeen.stop
                }
                if deviceReady { log("audio device not ready: \(error.problems.first ?? ""); waiting for it") }
                deviceReady = false
                queue.wait(milliseconds: 1000)
            }
        }
        deviceReady = true
        _ = queue.take()
        log("session started: \(name) (\(session.plan.title))")
        requests.playing.store(true, ordering: .relaxed)
        let runner = SessionRunner(
            rate: rate, volume: volume, keepAlive: keepAlive, statusLine: false, queue: queue, board: board, journal: journal,
            log: { self.log($0) })
        let (outcome, record) = runner.run(session, plan: name, sink: sink!)
        requests.playing.store(false, ordering: .relaxed)
        let inverted = DurationText.short(milliseconds: Int(record.invertedSeconds.rounded()) * 1000)
        log("session ended: \(record.ending.rawValue), \(record.stepsDone)/\(record.steps) steps, \(inverted) inverted")
        if case .failure(let error) = outcome {
            log(error.problems.first ?? "")
            if error.code == .unavailable { deviceReady = false }
        }
        let signals = Signals.counts
        if signals.stop > signalsSeen.stop {
            log("stopping (signal)")
            return true
        }
        signalsSeen = signals
        refreshIdle()
        log("waiting for a press")
        return false
    }

    /// Tries the device without playing; logs when it is missing or comes back.
    private func probeDevice(quiet: Bool) {
        let was = deviceReady
        do throws(UpturnError) {
            let sink = try ALSASink(device: device, rate: rate)
            sink.abort()
            if !deviceReady && quiet { log("audio device \(device) is ready") }
            deviceReady = true
        } catch {
            if deviceReady || !quiet { log("audio device not ready: \(error.problems.first ?? ""); waiting for it") }
            deviceReady = false
        }
        // The status reads the history: only when something changed.
        if deviceReady != was || !quiet { refreshIdle() }
    }

    /// What `ctl status` says between sessions.
    private func refreshIdle() {
        var fields = ["\"state\": \"waiting\"", "\"audio_ready\": \(deviceReady)"]
        if let chosen { fields.append("\"announced\": \(TimelineJSON.string(choices[chosen]))") }
        if let today = try? Session.todayPlan(journal: journal, settings: { () throws(UpturnError) in try Settings.read() }).1 {
            fields.append(
                "\"today\": {\"program\": \(TimelineJSON.string(today.program)), \"level\": \(today.level), \"angle\": \(today.angle)}")
        }
        board.setIdle("{" + fields.joined(separator: ", ") + "}")
    }
}

/// Start requests from the socket's thread, and whether a session is playing.
private final class StartRequests: Sendable {
    let plans = Mutex<[String]>([])
    let playing = Atomic<Bool>(false)
}
