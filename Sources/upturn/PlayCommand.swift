import Foundation
import UpturnKit

enum PlayCommand {
    static let help = """
        usage: upturn play [PLAN] [--device NAME] [--pack NAME|DIR] [--volume 0-100] [--rate HZ]
                           [--controls LIST] [--socket PATH] [--keep-alive] [--alone]
                           [--voice-model DIR] [--angle iio[:NAME|PATH]]

        Plays a session on an ALSA device, speaking every cue. PLAN is a built-in program
        (default: first-time), `today` (chosen from your history), or a .json5 plan file.
        The device stays open for the whole session. On a terminal a status line shows the
        step and the time left.

          --device NAME    ALSA device (default: default; `upturn devices` lists them);
                           wav:FILE writes the session to a WAV file instead
          --pack NAME|DIR  cue pack (default: the plan's, else en)
          --volume 0-100   loudness (default: 100)
          --rate HZ        session sample rate (default: 48000)
          --controls LIST  comma-separated: keyboard, socket, evdev:PATH, evdev:auto,
                           gpio:CHIP:LINE[,LINE], mpris, voice[:DEVICE], none (default:
                           keyboard on a terminal, socket, and mpris when there is a D-Bus
                           session bus). ALSA names with commas are read whole
                           (voice:plughw:1,0); voice=DEVICE, last, takes all after it
          --socket PATH    the control socket (default: $XDG_RUNTIME_DIR/upturn/control.sock)
          --keep-alive     play an inaudible 20 Hz tone instead of digital silence, for
                           Bluetooth and HDMI outputs that sleep and swallow a first word
          --voice-model DIR  the recognizer's pocketsphinx model for voice (default:
                           Debian's US English)
          --angle iio[:NAME|PATH]  follow the table's real angle from an accelerometer
                           (`upturn angle --help`): each tilt waits for the table ("Thirty
                           degrees. Good.") before its hold's clock starts, a table far past
                           the plan's angle is told to come up, the return and every stop
                           wait until the table is upright, and the history keeps the
                           measured angles and inverted time
          --alone          safety check-ins: every inverted hold over a minute asks "Still
                           comfortable? Press to continue."; with no press in 20 s the
                           session goes to "Slowly return upright" (also `alone: true` in
                           ~/.config/upturn/settings.json5)

        Controls: pause, resume, toggle, skip (next step), back (restart the step; twice
        quickly: the step before), stop. Keyboard: space toggles, n skips, b goes back,
        q or Escape stops. Pedals and remotes (evdev): Page Down/Right skip, Page Up/Left
        back, Space/Enter/Play toggle (hold 1.5 s: stop), Escape stops; change the keys in
        ~/.config/upturn/keys.json5. GPIO: the first button toggles (hold: stop), a second
        skips. MPRIS: playerctl, media keys, phones, headphones. Voice (a microphone; ALSA capture
        device, default `default`): "upturn pause", "upturn resume", "upturn next", "upturn
        back", "upturn stop" (or the pack's phrases). Signals: SIGINT/SIGTERM/
        SIGHUP stop, SIGUSR1 toggles, SIGUSR2 skips. Stopping while inverted says "Slowly
        return upright" first; a second Ctrl-C ends at once. A lost device is reopened.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(
            words, command: "play", valued: ["--device", "--pack", "--volume", "--rate", "--controls", "--socket", "--voice-model", "--angle"], flags: ["--keep-alive", "--alone"])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(1, command: "play")
        let rate = try CommandLineTool.rate(arguments, command: "play")
        let specs = try CommandLineTool.controlSpecs(arguments)
        let keyMap = ControlSpec.usesEvdev(specs) ? try ControlSpec.loadKeyMap() : EvdevControl.defaultKeyMap
        let board = StatusBoard()
        let queue = ControlQueue()
        Signals.install(wake: queue)
        let journal = Journal()
        let alone = arguments.flags.contains("--alone") || Settings.aloneSetting(log: { CommandLineTool.printError("upturn: " + $0) })
        let sensor = try arguments.options["--angle"].map { spec throws(UpturnError) in try CommandLineTool.angleSensor(spec) }
        defer { sensor?.stop() }
        var playback = PlaybackSession(
            volume: try arguments.integer("--volume", in: 0...100, command: "play") ?? 100, keepAlive: arguments.flags.contains("--keep-alive"),
            statusLine: isatty(STDERR_FILENO) == 1, controls: queue, board: board, journal: journal, log: { CommandLineTool.printError("upturn: " + $0) })
        playback.angle = sensor
        let planName = arguments.positionals.first ?? Session.defaultProgram
        let music = try Session.check(plan: planName, pack: arguments.options["--pack"])
        let device = try AudioOutput.open(.parse(arguments.options["--device"]), rate: rate)
        // A voice control hears the player's own output through the mix the sink records.
        let echo = ControlSpec.voiceDevice(specs) == nil ? nil : EchoReference(rate: device.rate)
        let sink = echo?.tap(device) ?? device
        let (session, preroll) = try playback.prepare(on: sink, music: music) { () throws(UpturnError) in
            try Session.prepare(plan: planName, pack: arguments.options["--pack"], rate: rate, firstEverPreamble: true, alone: alone, followsTable: sensor != nil, journal: journal)
        }
        if let why = session.today?.fallback { CommandLineTool.printError("upturn: today: \(why); playing first-time") }

        // Start the controls; any that cannot start ends here, before a sound is played.
        var sources: [any ControlSource] = []
        defer { sources.forEach { $0.stop() } }  // before the caller prints an error: the terminal is restored
        do throws(UpturnError) {
            let voice = VoiceSetup(
                commands: echo == nil ? .english : try session.pack.voiceCommands(),
                model: arguments.options["--voice-model"] ?? SpeechRecognizer.defaultModel, echo: echo)
            for spec in specs {
                sources.append(
                    try spec.start(
                        queue, keyMap: keyMap, socketPath: arguments.options["--socket"] ?? ControlSocket.defaultPath,
                        board: board, report: { CommandLineTool.printError("upturn: " + $0) }, voice: voice))
            }
        } catch {
            preroll?.finish()
            sink.abort()
            throw error
        }
        let (outcome, _) = playback.run(session, plan: planName, sink: sink, after: preroll)
        if case .failure(let error) = outcome { throw error }
        return .ok
    }
}
