import Foundation
import UpturnKit

enum WebCommand {
    static let help = """
        usage: upturn web devices
               upturn web forget NAME

        The phones paired with the companion page (`upturn serve --web`): `devices` lists
        them (name and when paired), `forget` removes one, which is locked out at its next
        request. Pairing itself is done on the phone, with the code the box says aloud.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "web", valued: [], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        var devices = PairedDevices(warn: { CommandLineTool.printError("upturn: warning: " + $0) })
        switch arguments.positionals.first {
        case "devices":
            try arguments.atMost(1, command: "web devices")
            if devices.devices.isEmpty { print("no paired phones (pair one from the page: upturn serve --web)") }
            for device in devices.devices { print(TerminalText.safe(device.name) + "  paired " + TerminalText.safe(device.paired)) }
            return .ok
        case "forget":
            guard arguments.positionals.count == 2 else { throw UpturnError.usage("usage: upturn web forget NAME (`upturn web devices` lists them)") }
            let name = arguments.positionals[1]
            guard try devices.forget(name) else {
                let hint = Spelling.hint(for: name, in: devices.devices.map(\.name))
                throw UpturnError.noInput("no paired phone named '\(TerminalText.safe(String(name.prefix(40))))'\(hint); `upturn web devices` lists them")
            }
            print("forgot \(TerminalText.safe(name))")
            return .ok
        case let other:
            throw UpturnError.usage("usage: upturn web devices | upturn web forget NAME\(other.map { " (not '\(TerminalText.safe(String($0.prefix(20))))')" } ?? "")")
        }
    }
}
