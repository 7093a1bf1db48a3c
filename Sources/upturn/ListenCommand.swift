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
        let arguments = try Arguments(words, command: "listen", valued: ["--input", "--voice-model"], flags: ["--json"])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "listen")
        guard let input = arguments.options["--input"] else { throw UpturnError.usage("upturn listen: --input FILE is required") }
        let heard = try FileListener.listen(file: input, model: arguments.options["--voice-model"] ?? SpeechRecognizer.defaultModel)
        for item in heard {
            let h = item.hypothesis
            let time = String(format: "%.2f", h.end), distance = String(format: "%.3f", h.distance)
            if arguments.flags.contains("--json") {
                print("{\"time\": \(time), \"phrase\": \"\(h.phrase)\", \"command\": \"\(item.command?.rawValue ?? "")\", \"distance\": \(distance), \"accepted\": \(h.accepted)}")
            } else if h.accepted {
                print("\(time) s  \(h.phrase)  (\(item.command?.rawValue ?? "?"), distance \(distance))")
            }
        }
        return .ok
    }
}
