import UpturnKit

enum SchemaCommand {
    static let help = """
        usage: upturn schema plan|pack

        Prints the JSON Schema of plans or cue packs, for an editor to complete and check
        fields. Point a file at it with a "$schema" key.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "schema", valued: [], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(1, command: "schema")
        guard let which = arguments.positionals.first, let text = Schemas.text(which) else {
            throw UpturnError.usage("upturn schema: name plan or pack")
        }
        print(text, terminator: "")
        return .ok
    }
}
