import Foundation
import UpturnKit

enum PlayCommand {
    static let help = """
        usage: upturn play [PLAN] [--device NAME] [--pack NAME|DIR] [--volume 0-100] [--rate HZ]

        Plays a session on an ALSA device, speaking every cue. PLAN is a built-in program
        (default: first-time) or a .json5 plan file. The device stays open for the whole
        session. On a terminal a status line shows the step and the time left.
        Ctrl-C (SIGINT) or SIGTERM during an inverted step plays the closing
        "Slowly return upright" cue before exiting.

          --device NAME   ALSA device (default: default; `upturn devices` lists them)
          --pack NAME|DIR cue pack (default: the plan's, else en)
          --volume 0-100  loudness (default: 100)
          --rate HZ       session sample rate (default: 48000)
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(
            words, command: "play", valued: ["--device", "--pack", "--volume", "--rate"], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(1, command: "play")
        let rate = try CommandLineTool.rate(arguments, command: "play")
        let volume = try arguments.integer("--volume", in: 0...100, command: "play") ?? 100
        let device = arguments.options["--device"] ?? "default"

        StopRequest.installSignalHandlers()
        let session = try Session.prepare(plan: arguments.positionals.first, pack: arguments.options["--pack"], rate: rate)
        let sink = try ALSASink(device: device, rate: rate)
        var status: StatusLine?
        if isatty(STDERR_FILENO) == 1 {
            status = StatusLine(timeline: session.timeline, stepCount: session.plan.steps.count) { text in
                FileHandle.standardError.write(Data(text.utf8))
            }
        }
        let player = Player(
            timeline: session.timeline, clips: session.library, sink: sink, gain: Float(volume) / 100, status: status)
        if let stamp = ProcessInfo.processInfo.environment["UPTURN_FIRST_FRAME_FILE"] {
            // For Scripts/bench: when the first frame was written, as wall-clock seconds.
            player.onFirstWrite = {
                try? String(Date().timeIntervalSince1970).write(toFile: stamp, atomically: false, encoding: .utf8)
            }
        }
        _ = try player.play()
        return .ok
    }
}
