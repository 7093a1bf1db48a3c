import UpturnKit

enum RenderCommand {
    static let help = """
        usage: upturn render [PLAN] --output FILE.wav [--pack NAME|DIR] [--rate HZ]

        Writes the whole session to a WAV file (mono, 16-bit, the session rate), exactly
        what `upturn play` would send to the device, far faster than real time.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "render", valued: ["--output", "-o", "--pack", "--rate"], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(1, command: "render")
        guard let output = arguments.options["--output"] ?? arguments.options["-o"] else {
            throw UpturnError.usage("upturn render: --output FILE.wav is required")
        }
        let rate = try CommandLineTool.rate(arguments, command: "render")
        let session = try Session.prepare(plan: arguments.positionals.first, pack: arguments.options["--pack"], rate: rate)
        try WAVFileSink.checkFits(frames: session.timeline.frames, rate: rate)
        let sink = try AudioOutput.open(.file(output), rate: rate)
        _ = try PlaybackSession().play(session.timeline, clips: session.library, music: session.music, sink: sink)
        return .ok
    }
}
