import Foundation
import UpturnKit

enum CommandLineTool {
    static let version = "0.1.0"

    static let usage = """
        upturn: a hands-free, voice-guided session player for inversion tables

        usage: upturn COMMAND [ARGUMENTS]

          play   [PLAN] [--device NAME] [--pack NAME|DIR] [--volume 0-100] [--rate HZ]
                 [--controls LIST] [--socket PATH]
                                    play a session on ALSA (default: first-time)
          render [PLAN] --output FILE.wav [--pack NAME|DIR] [--rate HZ]
                                    write the whole session to a WAV file
          show   [PLAN] [--json] [--pack NAME|DIR]
                                    print the session's timeline
          check  FILE...            check plans and packs; every problem, with file:line:column
          programs [--print NAME]   list the built-in programs, or print one as a template
          say    TEXT [--device NAME | --output FILE.wav] [--voice NAME]
                                    speak a text
          voices                    list the espeak-ng voices
          devices                   list the ALSA playback devices
          ctl    pause|resume|toggle|skip|back|stop|status|start [PLAN] [--socket PATH]
                                    control the running player
          packs                     list the installed cue packs
          pack   keys | new DIR [--from NAME] [--voice V] | audition DIR [--output FILE.wav]
                                    write your own cue pack
          schema plan|pack          print the JSON Schema of plans or packs
          history [--json] [--since YYYY-MM-DD]
                                    the sessions played, and a summary
          serve  [--device NAME] [--controls LIST] [--alone] [--web [ADDR][:PORT]]
                                    wait for a press, then say and play today's session
          web    devices | forget NAME
                                    the phones paired with the companion page
          angle  [--angle iio[:NAME|PATH]] [--json] | angle calibrate
                                    the table's angle from an accelerometer (Linux IIO)
          listen [--device NAME | --input FILE] [--json] | listen --enroll
                                    hear voice commands; --enroll teaches it your voice

        PLAN is a built-in program (`upturn programs`), `today` (chosen from your history),
        or a .json5 plan file.
        Exit codes: 0 ok, 64 usage, 65 bad plan or pack, 66 file not found,
        69 audio device or voice unavailable, 70 internal error, 73 cannot write output.
        Run `upturn COMMAND --help` for a command's options.
        """

    /// Every subcommand, by the word that names it.
    static let commands: [(name: String, run: @Sendable ([String]) throws(UpturnError) -> ExitCode)] = [
        ("play", PlayCommand.run), ("render", RenderCommand.run), ("show", ShowCommand.run), ("check", CheckCommand.run),
        ("programs", ProgramsCommand.run), ("say", SayCommand.run), ("voices", VoicesCommand.run), ("devices", DevicesCommand.run),
        ("ctl", CtlCommand.run), ("pack", PackCommand.run), ("packs", PacksCommand.run), ("schema", SchemaCommand.run),
        ("history", HistoryCommand.run), ("serve", ServeCommand.run), ("listen", ListenCommand.run),
        ("web", WebCommand.run), ("angle", AngleCommand.run),
    ]

    static func run(_ arguments: [String]) -> ExitCode {
        guard let command = arguments.first else {
            print(usage)
            return .ok
        }
        let rest = Array(arguments.dropFirst())
        do throws(UpturnError) {
            switch command {
            case "--help", "-h", "help":
                print(usage)
                return .ok
            case "--version":
                print("upturn \(version) (\(EspeakSynthesizer.version))")
                return .ok
            default:
                guard let run = commands.first(where: { $0.name == command })?.run else {
                    let names = commands.map(\.name)
                    throw UpturnError.usage(
                        "upturn: unknown command '\(command.prefix(60))'\(Spelling.hint(for: command, in: names)); see `upturn --help`")
                }
                return try run(rest)
            }
        } catch {
            report(error)
            return error.code
        }
    }

    /// Prints an error: one line per problem, on stderr.
    static func report(_ error: UpturnError) {
        for line in error.problems {
            let text = line.hasPrefix("upturn") || error.code == .dataError ? line : "upturn: " + line
            StandardError.write(text)
        }
    }

    static func printError(_ text: String) {
        StandardError.write(text)
    }

    /// Prints `help` and returns true when the command was asked for it.
    static func helped(_ arguments: Arguments, _ help: String) -> Bool {
        guard arguments.flags.contains("--help") else { return false }
        print(help)
        return true
    }

    /// `--controls LIST`, or by default the keyboard (on a terminal, when upturn is in its
    /// foreground) and the control socket.
    static func controlSpecs(_ arguments: Arguments) throws(UpturnError) -> [ControlSpec] {
        if let text = arguments.options["--controls"] { return try ControlSpec.parse(text) }
        return (KeyboardControl.isForeground(STDIN_FILENO) ? [.keyboard] : []) + [.socket] + (MPRISControl.sessionBusExists ? [.mpris] : [])
    }

    /// `--angle SPEC`: the sensor found, its calibration (or the assumed mounting, said),
    /// reading on its own thread.
    static func angleSensor(_ spec: String) throws(UpturnError) -> AngleSensor {
        let calibration = try AngleCalibration.load()
        if calibration == nil {
            printError("upturn: --angle: " + AngleCalibration.assumedNote)
        }
        let sensor = try AngleSensor(spec: spec, calibration: calibration ?? .assumed, report: { printError("upturn: " + $0) })
        sensor.start()
        return sensor
    }

    static func rate(_ arguments: Arguments, command: String) throws(UpturnError) -> Int {
        try arguments.integer("--rate", in: 8000...192_000, command: command) ?? Session.defaultRate
    }
}
