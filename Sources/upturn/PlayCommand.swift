import Foundation
import Synchronization
import UpturnKit

enum PlayCommand {
    static let help = """
        usage: upturn play [PLAN] [--device NAME] [--pack NAME|DIR] [--volume 0-100] [--rate HZ]
                           [--controls LIST] [--socket PATH] [--keep-alive]

        Plays a session on an ALSA device, speaking every cue. PLAN is a built-in program
        (default: first-time) or a .json5 plan file. The device stays open for the whole
        session. On a terminal a status line shows the step and the time left.

          --device NAME    ALSA device (default: default; `upturn devices` lists them)
          --pack NAME|DIR  cue pack (default: the plan's, else en)
          --volume 0-100   loudness (default: 100)
          --rate HZ        session sample rate (default: 48000)
          --controls LIST  comma-separated: keyboard, socket, evdev:PATH, evdev:auto,
                           gpio:CHIP:LINE[,LINE], none (default: keyboard on a terminal, and socket)
          --socket PATH    the control socket (default: $XDG_RUNTIME_DIR/upturn/control.sock)
          --keep-alive     play an inaudible 20 Hz tone instead of digital silence, for
                           Bluetooth and HDMI outputs that sleep and swallow a first word

        Controls: pause, resume, toggle, skip (next step), back (restart the step; twice
        quickly: the step before), stop. Keyboard: space toggles, n skips, b goes back,
        q or Escape stops. Pedals and remotes (evdev): Page Down/Right skip, Page Up/Left
        back, Space/Enter/Play toggle (hold 1.5 s: stop), Escape stops; change the keys in
        ~/.config/upturn/keys.json5. GPIO: the first button toggles (hold: stop), a second
        skips. Signals: SIGINT/SIGTERM stop, SIGUSR1 toggles, SIGUSR2 skips.
        Stopping during an inverted step plays "Slowly return upright" first; a second
        Ctrl-C ends at once. A lost device is reopened (quickly at first, then every second).
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(
            words, command: "play", valued: ["--device", "--pack", "--volume", "--rate", "--controls", "--socket"], flags: ["--keep-alive"])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(1, command: "play")
        let rate = try CommandLineTool.rate(arguments, command: "play")
        let volume = try arguments.integer("--volume", in: 0...100, command: "play") ?? 100
        let device = arguments.options["--device"] ?? "default"
        let specs: [ControlSpec]
        if let text = arguments.options["--controls"] {
            specs = try ControlSpec.parse(text)
        } else {
            specs = (isatty(STDIN_FILENO) == 1 ? [.keyboard] : []) + [.socket]
        }
        var keyMap = EvdevControl.defaultKeyMap
        if specs.contains(where: { if case .evdev = $0 { return true }; return $0 == .evdevAuto }),
            FileManager.default.fileExists(atPath: ControlSpec.keyMapFile)
        {
            keyMap = try ControlSpec.keyMap(file: ControlSpec.keyMapFile)
        }

        let queue = ControlQueue()
        Signals.install(wake: queue)
        // The first session of a new history opens with the safety preamble.
        let journal = Journal()
        let firstEver = journal.read().sessions.isEmpty
        let session = try Session.prepare(
            plan: arguments.positionals.first, pack: arguments.options["--pack"], rate: rate, preamble: firstEver)
        let sink = try ALSASink(device: device, rate: rate)
        var status: StatusLine?
        if isatty(STDERR_FILENO) == 1 {
            status = StatusLine(timeline: session.timeline, stepCount: session.plan.steps.count) { text in
                FileHandle.standardError.write(Data(text.utf8))
            }
        }
        let player = Player(
            timeline: session.timeline, clips: session.library, sink: sink, gain: Float(volume) / 100,
            blockFrames: max(256, sink.periodFrames), status: status, controls: queue, cues: session.cues, music: session.music, stepCount: session.plan.steps.count)
        player.keepAlive = arguments.flags.contains("--keep-alive")
        let clearLine = status == nil ? "" : "\r\u{1B}[2K"
        player.log = { line in CommandLineTool.printError(clearLine + "upturn: " + line) }
        if let stamp = ProcessInfo.processInfo.environment["UPTURN_FIRST_FRAME_FILE"] {
            // For Scripts/bench: when the first frame was written, as wall-clock seconds.
            player.onFirstWrite = {
                try? String(Date().timeIntervalSince1970).write(toFile: stamp, atomically: false, encoding: .utf8)
            }
        }

        // Start the controls; any that cannot start ends here, before a sound is played.
        let snapshot = SnapshotReader(player)
        var sources: [any ControlSource] = []
        defer { sources.forEach { $0.stop() } }
        do throws(UpturnError) {
            for spec in specs {
                let source = try spec.source(
                    keyMap: keyMap, socketPath: arguments.options["--socket"] ?? ControlSocket.defaultPath,
                    status: { snapshot.json })
                try source.start(queue)
                sources.append(source)
            }
        } catch {
            sink.abort()
            throw error
        }

        // The history: a start line now, an end line after; a kill in between reads as "killed".
        var record = SessionRecord(
            id: UUID().uuidString, start: Date(), plan: arguments.positionals.first ?? Session.defaultProgram,
            title: session.plan.title, steps: session.plan.steps.count)
        var journalWorks = true
        do throws(UpturnError) { try journal.recordStart(record) } catch {
            journalWorks = false
            CommandLineTool.printError("upturn: " + error.description + "; this session is not kept in the history")
        }

        // The audio loop runs on a thread of its own; nothing else ever blocks it.
        let result = Mutex<Result<Player.Outcome, UpturnError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let box = PlayerBox(player)
        let thread = Thread {
            let outcome: Result<Player.Outcome, UpturnError>
            do throws(UpturnError) { outcome = .success(try box.player.play()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        thread.name = "upturn-audio"
        thread.stackSize = 1 << 20
        thread.start()
        done.wait()
        sources.forEach { $0.stop() }
        sources = []
        let outcome = result.withLock { $0 }
        if journalWorks {
            record.end = Date()
            record.stepsDone = player.stepsDone
            record.invertedSeconds = Double(player.invertedFrames) / Double(rate)
            record.highestAngle = player.highestAngle
            switch outcome {
            case .success(.finished)?: record.ending = .finished
            case .success?: record.ending = .stopped
            case .failure(let error)? where error.code == .unavailable: record.ending = .audioLost
            default: record.ending = .killed
            }
            do throws(UpturnError) { try journal.recordEnd(record) } catch {
                CommandLineTool.printError("upturn: " + error.description)
            }
        }
        switch outcome {
        case .failure(let error)?: throw error
        default: return .ok
        }
    }
}

/// The player handed to the audio thread; only that thread touches it after the start.
private final class PlayerBox: @unchecked Sendable {
    let player: Player
    init(_ player: Player) { self.player = player }
}

/// Reads the player's status for the control socket's thread (the snapshot is a Mutex).
private final class SnapshotReader: @unchecked Sendable {
    private let player: Player
    init(_ player: Player) { self.player = player }
    var json: String { player.snapshot.withLock { $0.json } }
}
