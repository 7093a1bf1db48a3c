import Foundation
import Synchronization

/// `upturn serve`: waits beside the table for a press, says today's session, and plays it.
/// It carries out what `ServeMachine` decides: announcements and sessions both play through
/// `PlaybackSession`, on the same player as `upturn play`. It starts before the sound card
/// is ready and waits for it, never exits on a lost device, and logs one line per event.
public final class Service {
    public struct Options {
        /// `--device` / `--pack`; when not given, the settings' (the companion page sets them).
        public var device: String?
        public var pack: String?
        public var rate = Session.defaultRate
        /// `--volume`; when not given, the settings' `volume` (the companion page sets it), else 100.
        public var volume: Int?
        public var keepAlive = false
        /// `--alone`, besides the `alone` setting.
        public var alone = false
        public var controls: [ControlSpec] = [.socket]
        public var keyMap: [Int: ControlCommand] = EvdevControl.defaultKeyMap
        public var socketPath = ControlSocket.defaultPath
        /// The recognizer's model for `--controls voice`.
        public var voiceModel = SpeechRecognizer.defaultModel
        /// `--web [ADDR][:PORT]`: the companion page.
        public var web: WebAddress?
        /// `--web-cert`/`--web-key`: the page over HTTPS.
        public var webTLS: WebTLS?
        /// `--angle iio[:NAME|PATH]`: sessions follow the table, and the table is watched
        /// between sessions.
        public var angle: String?
        public var calibration: AngleCalibration = .assumed
        public init() {}
    }

    private let options: Options
    private let queue = ControlQueue()
    private let board = StatusBoard()
    private let journal = Journal()
    private let requests = StartRequests()
    /// Cues the companion page asks the box to say (a pairing code), said between sessions.
    private let sayings = Sayings()
    private var machine = ServeMachine()
    private var deviceReady = false
    /// What the service plays, for a voice control to take out of what it hears.
    private let echo: EchoReference
    /// Voice control's switch and meter, when it is among the controls (the page shows them).
    private var voiceGate: VoiceGate?
    /// The table's angle (`--angle`), and the watch between sessions.
    private var sensor: AngleSensor?
    private var watch = TableWatch()
    /// One line per event, on stderr (the journal, under systemd).
    private let log: @Sendable (String) -> Void

    public init(_ options: Options, log: @escaping @Sendable (String) -> Void = { StandardError.write("upturn serve: " + $0) }) {
        self.options = options
        self.log = log
        echo = EchoReference(rate: options.rate)
    }

    /// The ALSA device: `--device`, else the settings' `device` (read again each time: the
    /// page may have changed it), else `default`.
    private var device: String { options.device ?? (try? Settings.read())?.device ?? "default" }
    /// The cue pack: `--pack`, else the settings' `pack`, else the default one.
    private var pack: String? { options.pack ?? (try? Settings.read())?.pack }

    /// The device, recording what it plays for a voice control.
    private func openDevice() throws(UpturnError) -> any AudioSink {
        echo.tap(try AudioOutput.open(.parse(device), rate: options.rate))
    }

    /// Runs until SIGINT or SIGTERM (after "Slowly return upright" when a session is inverted).
    /// Throws only when the control socket cannot be had: it is how `ctl` reaches the service.
    public func run() throws(UpturnError) {
        Signals.install(wake: queue)
        var sources: [any ControlSource] = []
        defer { sources.forEach { $0.stop() } }
        for spec in options.controls {
            do throws(UpturnError) {
                sources.append(try start(spec))
            } catch {
                if spec == .socket { throw error }
                log("controls: \(error.problems.first ?? ""); going on without it")
            }
        }
        var names = options.controls.map { $0.label(socketPath: options.socketPath) }
        if let spec = options.angle {
            do throws(UpturnError) {
                let sensor = try AngleSensor(spec: spec, calibration: options.calibration, waitsForDevice: true, report: { [log] in log($0) })
                sensor.start()
                self.sensor = sensor
            } catch {
                log("angle: \(error.problems.first ?? ""); going on without it")
            }
        }
        defer { sensor?.stop() }
        let web = options.web.flatMap(startWeb)
        defer { web?.stop() }
        if let web { names.append("web on port \(web.port)") }
        // Its name on the LAN (not for a page only this box can reach).
        let lan = web.flatMap { web in
            options.web.map(\.isLoopback) == false ? LANAnnouncer(https: options.webTLS != nil, port: web.port, log: log) : nil
        }
        defer { lan?.stop() }
        log("started (device \(device); controls: \(names.joined(separator: ", ")))")
        probeDevice(quiet: false)
        refreshIdle()
        if let web, deviceReady { announceWebAddress(port: web.port) }
        log("waiting for a press")
        while !queue.terminationRequested {
            var timeout: Int32 = deviceReady && sensor == nil ? -1 : 1000
            if let deadline = machine.deadline {
                let left = Int32(max(0, (deadline - MonotonicClock.now) * 1000))
                timeout = timeout < 0 ? left : min(timeout, left)
            }
            queue.wait(milliseconds: timeout)
            if !deviceReady { probeDevice(quiet: true) }
            watchTable()
            let commands = queue.take()
            if queue.terminationRequested { break }
            for (cue, values, pack) in sayings.take() { say(cue, values, pack: pack) }
            // A start asked for on the socket (at most one, taken now or refused): it, or the
            // controls. A control never starts what was asked for before.
            var events: [ServeMachine.Event] = commands.map { .control($0) } + [.tick]
            let taken = requests.takePending()
            if let taken { events = [.start(plan: taken)] }
            for event in events {
                for action in machine.handle(event, at: MonotonicClock.now) { perform(action) }
                if queue.terminationRequested { break }
            }
            if taken != nil { requests.end() }  // played, or never begun: starts are taken again
        }
        log("stopping (signal)")
    }

    /// Makes and starts one control source; the socket also takes `start [PLAN]`, and a voice
    /// control "upturn start" (today's session).
    private func start(_ spec: ControlSpec) throws(UpturnError) -> any ControlSource {
        let board = self.board, requests = self.requests, queue = self.queue, log = self.log
        var voice = VoiceSetup(model: options.voiceModel, echo: echo)
        if case .voice(let microphone) = spec {
            voice.commands = try PackLocator.load(pack).voiceCommands()
            let gate = VoiceGate(device: microphone, on: (try? Settings.read())?.voiceControl ?? true)
            voice.gate = gate
            voiceGate = gate
        }
        let source = try spec.source(
            keyMap: options.keyMap, socketPath: options.socketPath, board: board,
            report: { log("controls: " + $0) }, waitForDevices: true, voice: voice,
            starter: { plan in requests.request(plan, wake: queue) })
        try source.start(queue)
        return source
    }

    /// The companion page: a control source with a server of its own. A port that cannot be
    /// had is logged, and the service goes on without the page (as with any control).
    private func startWeb(_ address: WebAddress) -> WebServer? {
        let requests = self.requests, queue = self.queue, sayings = self.sayings, log = self.log
        var host = WebHost(
            board: board, queue: queue, start: { plan in requests.request(plan, wake: queue) },
            say: { cue, values, pack in
                // Between sessions only: nothing is said over a session.
                guard requests.current == .idle else { return false }
                sayings.post(cue, values, pack: pack)
                queue.wake()
                return true
            }, log: log)
        host.fixedVolume = options.volume
        host.fixedDevice = options.device
        host.fixedPack = options.pack
        host.voice = voiceGate
        host.secure = options.webTLS != nil
        do throws(UpturnError) {
            let server = try WebServer(app: WebApp(host: host))
            try server.start(address, tls: options.webTLS)
            let shown = address.host == "0.0.0.0" || address.host == "::" ? WebAddress.localAddress() ?? address.host : address.host
            log("web: the companion page is at \(options.webTLS == nil ? "http" : "https")://\(shown):\(server.port)/")
            return server
        } catch {
            log("web: \(error.problems.first ?? ""); going on without the page")
            return nil
        }
    }

    /// The first time the service runs with the page, it says where the page is.
    private func announceWebAddress(port: UInt16) {
        let marker = XDGFolders.configHome + "/upturn/web-announced"
        guard !FileManager.default.fileExists(atPath: marker), let address = WebAddress.localAddress() else { return }
        log("web: saying where the page is (the first time with --web): \(address):\(port)")
        say(.webAddress, ["address": address.replacingOccurrences(of: ".", with: " dot "), "port": "\(port)"])
        try? FileManager.default.createDirectory(atPath: PathText.parent(marker), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: marker, contents: Data("\(address):\(port)\n".utf8))
    }

    /// One cue from the pack (or `pack`), said on the device (the page's pairing code, a line
    /// of a plan, a recorded cue's audition).
    private func say(_ cue: CueKey, _ values: [String: String], pack: String? = nil) {
        do throws(UpturnError) {
            let library = ClipLibrary(rate: options.rate, cache: PromptCache())
            let compiler = TimelineCompiler(
                plan: Plan(title: "", steps: []), pack: try PackLocator.load(pack ?? self.pack), rate: options.rate, measure: library)
            speak([try compiler.interjection(cue, values: values)], clips: library)
        } catch {
            log("cannot say \(cue.key): \(error.problems.first ?? "")")
        }
    }

    private func perform(_ action: ServeMachine.Action) {
        switch action {
        case .log(let line): log(line)
        case .showStatus: refreshIdle()
        case .announce(let choice, let listing): announce(choice, listing: listing)
        case .sayWaiting: sayWaiting()
        case .start(let plan): runSession(plan)
        }
    }

    /// The session behind a choice: `firstEverPreamble` for one to play (the first of a new
    /// history opens with the safety preamble), not for one to announce.
    private func prepare(_ name: String, firstEverPreamble: Bool) throws(UpturnError) -> Session {
        let log = self.log
        let alone = options.alone || Settings.aloneSetting(log: { log($0) })
        return try Session.prepare(
            plan: name, pack: pack, rate: options.rate, firstEverPreamble: firstEverPreamble, alone: alone, followsTable: sensor != nil,
            journal: journal)
    }

    /// Between sessions, with an angle sensor: the table watched (`TableWatch`).
    private func watchTable() {
        guard let sensor else { return }
        for action in watch.observe(sensor.current, now: MonotonicClock.now) {
            switch action {
            case .log(let line): log(line)
            case .status: refreshIdle()
            case .sayClosing: say(.sessionUpright, [:])
            }
        }
    }

    /// Says a choice (and, first, the list of the others) and waits for the second press.
    private func announce(_ name: String, listing: [String]?) {
        do throws(UpturnError) {
            let session = try prepare(name, firstEverPreamble: false)
            let compiler = TimelineCompiler(plan: session.plan, pack: session.pack, rate: options.rate, measure: session.library)
            var cues: [Interjection] = []
            if let listing {
                let others = listing.map { BuiltinPrograms.title($0) ?? $0 }
                cues.append(try compiler.interjection(.serveChoices, values: ["list": others.joined(separator: ", ")]))
            }
            let minutes = "\(session.timeline.spokenMinutes)"
            let duration = session.pack.spokenDuration(milliseconds: session.timeline.spokenMinutes * 60_000)
            if let today = session.today, today.fallback == nil {
                let program = BuiltinPrograms.title(today.program) ?? today.program
                cues.append(
                    try compiler.interjection(
                        .serveToday,
                        values: ["program": program, "level": "\(today.level)", "angle": "\(today.angle)", "minutes": minutes, "duration": duration]))
                log("today: \(today.program), level \(today.level), \(today.angle)°, \(minutes) min")
            } else {
                let program = session.today == nil ? (BuiltinPrograms.title(name) ?? name) : (BuiltinPrograms.title("first-time") ?? "First time")
                cues.append(try compiler.interjection(.serveChoice, values: ["program": program, "minutes": minutes, "duration": duration]))
                log("choice: \(name), \(minutes) min")
            }
            speak(cues, clips: session.library)
        } catch {
            log("cannot announce \(name): \(error.problems.first ?? "")")
        }
    }

    /// "Waiting. Press when you want to start.": the announcement was not taken up.
    private func sayWaiting() { say(.serveWaiting, [:]) }

    /// Plays short spoken cues on the device, opened for them and closed after. They give
    /// way to any control, which the main loop then handles.
    private func speak(_ cues: [Interjection], clips: any ClipProviding) {
        let sink: any AudioSink
        do throws(UpturnError) {
            sink = try openDevice()
            deviceReady = true
        } catch {
            deviceReady = false
            log("audio device not ready: \(error.problems.first ?? ""); the announcement is lost")
            return
        }
        do throws(UpturnError) {
            _ = try playback(board: nil).play(Interjection.timeline(cues, rate: options.rate), clips: clips, sink: sink, givesWay: true)
        } catch {
            log("audio: \(error.problems.first ?? "")")
        }
    }

    private func playback(board: StatusBoard?) -> PlaybackSession {
        let log = self.log
        let volume = options.volume ?? (try? Settings.read())?.volume ?? 100
        var playback = PlaybackSession(volume: volume, keepAlive: options.keepAlive, controls: queue, board: board, log: { log($0) })
        // Sessions follow the table; announcements (no board) do not.
        if board != nil { playback.angle = sensor }
        return playback
    }

    /// Plays one session and keeps it in the history.
    private func runSession(_ name: String) {
        // From here to the end of the session, a start is refused, never queued.
        if let dropped = requests.begin(name) { log("start of \(dropped) refused: \(name) is starting") }
        defer { requests.end() }
        let music: Bool
        do throws(UpturnError) { music = try Session.check(plan: name, pack: pack) } catch {
            return cannotStart(name, error)
        }
        guard let sink = waitForDevice(name) else { return }
        var playback = playback(board: board)
        playback.journal = journal
        // The session is made while its lead-in plays.
        let session: Session, preroll: PlaybackSession.Preroll?
        do throws(UpturnError) {
            (session, preroll) = try playback.prepare(on: sink, music: music) { () throws(UpturnError) in
                try prepare(name, firstEverPreamble: true)
            }
        } catch {
            return cannotStart(name, error)
        }
        if let why = session.today?.fallback { log("today: \(why); playing first-time") }
        _ = queue.take()
        log("session started: \(name) (\(session.plan.title))")
        let (outcome, record) = playback.run(session, plan: name, sink: sink, after: preroll)
        let inverted = DurationText.short(milliseconds: Int(record.invertedSeconds.rounded()) * 1000)
        log("session ended: \(record.ending.rawValue), \(record.stepsDone)/\(record.steps) steps, \(inverted) inverted")
        watch.reset()
        if case .failure(let error) = outcome {
            log(error.problems.first ?? "")
            if error.code == .unavailable { deviceReady = false }
        }
        guard !queue.terminationRequested else { return }
        refreshIdle()
        log("waiting for a press")
    }

    /// One line for a session that cannot begin; back to waiting.
    private func cannotStart(_ name: String, _ error: UpturnError) {
        log("cannot start \(name): \(error.problems.first ?? "")")
        refreshIdle()
    }

    /// The sound card may still be coming up: waits for it, up to half a minute (or a signal).
    private func waitForDevice(_ name: String) -> (any AudioSink)? {
        let deadline = MonotonicClock.now + 30
        while true {
            do throws(UpturnError) {
                let sink = try openDevice()
                deviceReady = true
                return sink
            } catch {
                if MonotonicClock.now >= deadline || queue.terminationRequested {
                    deviceReady = false
                    cannotStart(name, error)
                    return nil
                }
                if deviceReady { log("audio device not ready: \(error.problems.first ?? ""); waiting for it") }
                deviceReady = false
                queue.wait(milliseconds: 1000)
                _ = queue.take()  // a press now is not for a session that has not begun; a signal ends the wait
            }
        }
    }

    /// Tries the device without playing; logs when it is missing or comes back.
    private func probeDevice(quiet: Bool) {
        let was = deviceReady
        let device = self.device
        do throws(UpturnError) {
            let sink = try AudioOutput.open(.parse(device), rate: options.rate)
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
        var waiting = ServeWaiting(audioReady: deviceReady, announced: machine.announced)
        if sensor != nil {
            waiting.followsTable = true
            waiting.angle = watch.shown
            waiting.alarm = watch.alarm
        }
        if let today = try? Session.todayPlan(journal: journal, settings: { () throws(UpturnError) in try Settings.read() }).1 {
            waiting.today = ServeWaiting.Today(program: today.program, level: today.level, angle: today.angle)
        }
        board.setIdle(.waiting(waiting))
    }
}

/// Start requests from the socket's and the voice's threads. At most one waits, and only
/// while nothing is starting or playing: a start that cannot be honoured now is refused with
/// its reason, and nothing is ever kept for after a session.
final class StartRequests: Sendable {
    enum State: Equatable {
        case idle
        /// Answered `ok`; the main loop takes it at its next wake.
        case pending(String)
        /// A session is being prepared or played.
        case busy(String)
    }
    private let state = Mutex(State.idle)

    var current: State { state.withLock { $0 } }

    /// `start [PLAN]` from the socket: the reply line.
    func request(_ plan: String?, wake queue: ControlQueue) -> String {
        if let refusal = refusal() { return refusal }
        let name = plan ?? Session.todayProgram
        if name != Session.todayProgram {
            do throws(UpturnError) { _ = try Session.loadPlan(name) } catch {
                return "error: " + (error.problems.first ?? "cannot load \(name)")
            }
        }
        let reply: String = state.withLock { state in
            guard state == .idle else { return Self.refusal(state) ?? "error: busy" }
            state = .pending(name)
            return "ok"
        }
        if reply == "ok" { queue.wake() }
        return reply
    }

    private func refusal() -> String? { state.withLock { Self.refusal($0) } }

    private static func refusal(_ state: State) -> String? {
        switch state {
        case .idle: return nil
        case .pending(let name): return "error: \(name) is about to start; `upturn ctl stop` ends it once it plays"
        case .busy(let name): return "error: a session (\(name)) is starting or playing; `upturn ctl stop` ends it"
        }
    }

    /// The start that waits, if any; from now on the service is busy with it.
    func takePending() -> String? {
        state.withLock { state in
            guard case .pending(let name) = state else { return nil }
            state = .busy(name)
            return name
        }
    }

    /// A session begins (asked for here or by a press): busy until `end()`. Returns a start
    /// that was answered `ok` in the instant before, which is now refused.
    @discardableResult
    func begin(_ name: String) -> String? {
        state.withLock { state in
            defer { state = .busy(name) }
            if case .pending(let other) = state { return other }
            return nil
        }
    }

    /// The session ended (or never began): starts are taken again.
    func end() { state.withLock { $0 = .idle } }
}

/// Cues asked for from another thread (the companion page's), said by the service's loop.
final class Sayings: Sendable {
    private let items = Mutex<[(CueKey, [String: String], String?)]>([])
    func post(_ cue: CueKey, _ values: [String: String], pack: String?) { items.withLock { $0.append((cue, values, pack)) } }
    func take() -> [(CueKey, [String: String], String?)] {
        items.withLock { items in
            defer { items.removeAll() }
            return items
        }
    }
}
