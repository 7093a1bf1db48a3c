import UpturnKit

enum SayCommand {
    static let help = """
        usage: upturn say TEXT [--device NAME | --output FILE.wav] [--voice NAME] [--pack NAME|DIR] [--rate HZ]

        Speaks TEXT with espeak-ng in the pack's voice (or --voice), on an ALSA device or
        into a WAV file.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(
            words, command: "say", valued: ["--device", "--output", "-o", "--voice", "--pack", "--rate"], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        guard !arguments.positionals.isEmpty else { throw UpturnError.usage("upturn say: give the text to speak") }
        let text = arguments.positionals.joined(separator: " ")
        guard text.count <= 10_000, !text.allSatisfy(\.isWhitespace) else {
            throw UpturnError.usage("upturn say: the text must be 1 to 10000 characters")
        }
        let output = arguments.options["--output"] ?? arguments.options["-o"]
        if output != nil && arguments.options["--device"] != nil {
            throw UpturnError.usage("upturn say: give --device or --output, not both")
        }
        let rate = try CommandLineTool.rate(arguments, command: "say")
        var voice = try PackLocator.load(arguments.options["--pack"]).voice
        if let name = arguments.options["--voice"] { voice.name = name }

        let library = ClipLibrary(rate: rate, cache: PromptCache())
        let clip = ClipSource.speech(text: text, voice: voice)
        let length = try library.frames(of: clip)
        let lead = rate / 50
        let event = TimelineEvent(
            frame: lead, kind: .speech, key: "say", text: text, step: 0, clip: clip, length: length, angle: 0, inverted: false)
        let frames = lead + length + rate / 5
        let timeline = Timeline(rate: rate, frames: frames, events: [event], steps: [], closing: [], closingFrames: 0)
        let sink = try AudioOutput.open(AudioOutput.target(device: arguments.options["--device"], output: output), rate: rate)
        _ = try PlaybackSession().play(timeline, clips: library, sink: sink)
        return .ok
    }
}
