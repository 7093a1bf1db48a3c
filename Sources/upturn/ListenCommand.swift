import UpturnKit

enum ListenCommand {
    static let help = """
        usage: upturn listen --input FILE [--json] [--voice-model DIR]

        Prints the voice commands heard in a recording ("upturn pause", "upturn resume",
        "upturn next", "upturn back", "upturn stop"), one line each with its time and how
        close it came (the distance; it counts under its threshold). --json prints one object
        a line: {"time", "phrase", "command", "distance", "accepted"}, rejected ones too.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "listen", valued: ["--input", "--reference", "--voice-model"], flags: ["--json"])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "listen")
        guard let input = arguments.options["--input"] else { throw UpturnError.usage("upturn listen: --input FILE is required") }
        let heard = try FileListener.listen(file: input, reference: arguments.options["--reference"], model: arguments.options["--voice-model"] ?? SpeechRecognizer.defaultModel)
        for item in heard where item.hypothesis.accepted {
            let h = item.hypothesis
            let seconds = String(format: "%.2f", h.end), command = item.command?.rawValue ?? ""
            if arguments.flags.contains("--json") {
                print("{\"seconds\": \(seconds), \"command\": \"\(command)\", \"phrase\": \"\(h.phrase)\", \"score\": \(h.score)}")
            } else {
                print("\(seconds) s  \(command)  \"\(h.phrase)\"  score \(h.score)")
            }
        }
        return .ok
    }
}
