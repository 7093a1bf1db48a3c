import UpturnKit

enum ProgramsCommand {
    static let help = """
        usage: upturn programs [--print NAME]

        Lists the built-in programs, one per line, name first, and `today`, the session
        chosen from your history. --print NAME prints a
        program's plan, to use as a template for your own.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "programs", valued: ["--print"], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "programs")
        if let name = arguments.options["--print"] {
            guard let source = BuiltinPrograms.source(name) else {
                throw UpturnError.usage(
                    "upturn programs: no program '\(name.prefix(60))'\(Spelling.hint(for: name, in: BuiltinPrograms.names)); the programs are \(BuiltinPrograms.names.joined(separator: ", "))"
                )
            }
            print(source, terminator: source.hasSuffix("\n") ? "" : "\n")
            return .ok
        }
        let width = BuiltinPrograms.names.map(\.count).max() ?? 0
        for name in BuiltinPrograms.names {
            let padding = String(repeating: " ", count: width - name.count + 2)
            print(name + padding + BuiltinPrograms.description(name))
        }
        let padding = String(repeating: " ", count: width - Session.todayProgram.count + 2)
        print(Session.todayProgram + padding + "Chosen from your history, a level at a time (`upturn show today --explain`)")
        return .ok
    }
}
