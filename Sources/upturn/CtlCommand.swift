import Foundation
import UpturnKit

enum CtlCommand {
    static let help = """
        usage: upturn ctl pause|resume|toggle|skip|back|stop|status|start [PLAN] [--socket PATH]

        Sends a command to the running player through its control socket and prints the
        reply; `status` prints JSON: state ("playing"), step, steps, title, position, paused,
        inverted, step_left, session_left, audio_lost, check_in (a safety check-in waiting
        for its press); from `upturn serve` between sessions: state ("waiting"), audio_ready,
        announced and today. `start [PLAN]` asks `upturn serve` to begin a session (default:
        today). Exit 69 when no player is running.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "ctl", valued: ["--socket"], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(arguments.positionals.first == "start" ? 2 : 1, command: "ctl")
        let commands = ControlCommand.allCases.map(\.rawValue) + ["status", "start"]
        guard let command = arguments.positionals.first else {
            throw UpturnError.usage("upturn ctl: name a command: \(commands.joined(separator: ", "))")
        }
        guard commands.contains(command) else {
            throw UpturnError.usage(
                "upturn ctl: unknown command '\(command.prefix(40))'\(Spelling.hint(for: command, in: commands)); use \(commands.joined(separator: ", "))")
        }
        var words = Array(arguments.positionals)
        // A plan file named relative to here means the same file to the service.
        if command == "start", words.count == 2, !words[1].hasPrefix("/"), FileManager.default.fileExists(atPath: words[1]) {
            words[1] = FileManager.default.currentDirectoryPath + "/" + words[1]
        }
        let line = words.joined(separator: " ")
        let reply = try ControlSocket.send(line, to: arguments.options["--socket"] ?? ControlSocket.defaultPath)
        if reply.hasPrefix("error:") { throw UpturnError.usage("upturn ctl: " + reply) }
        if command == "status" { print(reply) }
        return .ok
    }
}
