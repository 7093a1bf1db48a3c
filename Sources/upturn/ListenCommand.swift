import Foundation
import UpturnKit

enum ListenCommand {
    static let help = """
        usage: upturn listen [--device NAME | --input FILE [--reference FILE] [--plan PLAN]]
                             [--tilted] [--json] [--pack NAME|DIR] [--voice-model DIR]
                             [--no-enrolment]
               upturn listen --enroll [--device NAME | --input FILE] [--pack NAME|DIR]
                             [--voice-model DIR]
               upturn listen --enroll --forget

        Prints the voice commands heard ("upturn pause", "upturn resume", "upturn next",
        "upturn back", "upturn stop", "upturn start", or the pack's own phrases), one line
        each: seconds into the input, command, phrase and score. --json prints one object a
        line with the keys seconds, command, phrase and score. "stop stop" and "help" are
        shown as stop; during a session they stop only while the person is tilted.
          --device NAME     a microphone (ALSA capture device; default `default`); shows the
                            input level on a terminal, with a | where speech must reach,
                            and says when the microphone is silent, dead, clips or has
                            a DC offset; Ctrl-C ends
          --input FILE      a recording in any format and rate libsndfile reads
          --reference FILE  what was playing meanwhile (a `render` output), cancelled from
                            the input as during `play --controls voice`
          --plan PLAN       the plan the input's player was saying, from its start (as
                            `render PLAN` with the same --pack): a command is then judged
                            as a session judges it, and one a session would not act on
                            (said while the player said its words, under a score of 3;
                            "help" while upright or over the player) is a line on
                            stderr, not a command; while the plan is tilted the stop
                            phrases are weighed up, as in a session
          --tilted          hear as while the person is tilted throughout: the stop
                            phrases ("upturn stop", "stop stop", "help") weighed up
          --voice-model DIR a pocketsphinx model folder (default: Debian's US English)
          --no-enrolment    hear without your voice enrolment
          --enroll          adapt the recognizer to your voice, microphone and room: say
                            each phrase when asked, twice (about a minute); kept in
                            ~/.config/upturn/voice/ and used by listen, play and serve.
                            With --input, a recording of the phrases in the order asked
                            (every phrase once, then again), a second or more apart.
                            Needs sphinxtrain, sphinxbase-utils and pocketsphinx (Debian)
          --forget          with --enroll: remove the enrolment
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(
            words, command: "listen", valued: ["--input", "--reference", "--plan", "--device", "--pack", "--voice-model"],
            flags: ["--json", "--enroll", "--forget", "--no-enrolment", "--tilted"])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "listen")
        let input = arguments.options["--input"]
        guard input == nil || arguments.options["--device"] == nil else {
            throw UpturnError.usage("upturn listen: give --device or --input, not both")
        }
        for option in ["--reference", "--plan"] where input == nil && arguments.options[option] != nil {
            throw UpturnError.usage("upturn listen: \(option) goes with --input")
        }
        let tilted = arguments.flags.contains("--tilted")
        if tilted && arguments.options["--plan"] != nil {
            throw UpturnError.usage("upturn listen: give --plan or --tilted, not both (the plan says when the person is tilted)")
        }
        if arguments.flags.contains("--enroll") { return try enroll(arguments) }
        guard !arguments.flags.contains("--forget") else { throw UpturnError.usage("upturn listen: --forget goes with --enroll") }
        let commands = try PackLocator.load(arguments.options["--pack"]).voiceCommands()
        let model = arguments.options["--voice-model"] ?? SpeechRecognizer.defaultModel
        let json = arguments.flags.contains("--json")
        let enrolment = arguments.flags.contains("--no-enrolment")
            ? nil : VoiceEnrolment.stored(for: model) { CommandLineTool.printError("upturn: " + $0) }
        if let enrolment {
            CommandLineTool.printError("upturn: using your voice enrolment of \(enrolment.made.prefix(10)) (\(enrolment.takes) takes; --no-enrolment hears without it)")
        }
        func show(_ item: HeardCommand, at seconds: Double) {
            let h = item.hypothesis
            guard h.accepted else {
                CommandLineTool.printError("upturn: heard \"\(h.phrase)\" at \(String(format: "%.2f", seconds)) s with score \(h.score), under its threshold")
                return
            }
            let time = String(format: "%.2f", seconds), command = item.command?.rawValue ?? "start"
            print(json ? "{\"seconds\": \(time), \"command\": \"\(command)\", \"phrase\": \"\(h.phrase)\", \"score\": \(h.score)"
                    + (item.overPlayer ? ", \"over_player\": true}" : "}")
                : "\(time) s  \(command)  \"\(h.phrase)\"  score \(h.score)" + (item.overPlayer ? "  (over the player)" : ""))
            fflush(nil)  // a line as soon as it is heard, on a pipe too
        }
        if let input {
            // The session's timeline, to judge as a session does (made before hearing: a plan
            // with a mistake is said at once).
            let timeline = try arguments.options["--plan"].map { (plan) throws(UpturnError) in
                try Session.prepare(plan: plan, pack: arguments.options["--pack"], rate: SpeechRecognizer.rate).timeline
            }
            let reference = arguments.options["--reference"]
            // Whether the plan is tilted so many seconds in.
            func planTilted(_ timeline: Timeline, _ seconds: Double) -> Bool { timeline.isTilted(at: Int((seconds * Double(timeline.rate)).rounded())) }
            let heard = try FileListener.listen(
                file: input, reference: reference, commands: commands, model: model, enrolment: enrolment,
                tilted: { seconds in tilted || timeline.map { planTilted($0, seconds) } == true })
            let rule = timeline.map { timeline in
                let rule = OwnWordsRule(phrases: commands.allPhrases, model: model)
                rule.follow(PlayerWords(timeline))
                return rule
            }
            for item in heard {
                if let timeline, let rule, item.hypothesis.accepted {
                    let seconds = item.hypothesis.end
                    let verdict = rule.judge(
                        item, saying: PlayerSnapshot.saying(in: timeline, at: seconds), echoCancelled: reference != nil,
                        tilted: planTilted(timeline, seconds), scored: { item })
                    if case .ignored(let line) = verdict {
                        CommandLineTool.printError("upturn: at \(String(format: "%.2f", item.hypothesis.end)) s " + line)
                        continue
                    }
                }
                show(item, at: item.hypothesis.end)
            }
            return .ok
        }
        let queue = ControlQueue()
        Signals.install(wake: queue)
        let meter = isatty(STDERR_FILENO) == 1
        try DeviceListener.listen(
            device: arguments.options["--device"] ?? "default", commands: commands, model: model, enrolment: enrolment, tilted: tilted,
            until: queue,
            level: { dBFS in
                guard meter else { return }
                // The bar, with a | where speech must reach to be heard well.
                let at = { (level: Double) in max(0, min(40, Int((level + 60) / 1.5))) }
                var bars = Array(String(repeating: "#", count: at(dBFS)).padding(toLength: 40, withPad: " ", startingAt: 0))
                bars[at(MicrophoneHealth.quietestPeak)] = "|"
                let note = dBFS < MicrophoneHealth.quietestPeak ? "  speech must reach the | to be heard" : ""
                StandardError.writeRaw(String(format: "\r\u{1B}[Klevel %5.1f dBFS ", dBFS) + String(bars) + note)
            },
            heard: { item, seconds in
                if meter { StandardError.writeRaw("\r\u{1B}[K") }
                show(item, at: seconds)
            },
            problem: { line in
                if meter { StandardError.writeRaw("\r\u{1B}[K") }
                CommandLineTool.printError("upturn: " + line)
            })
        if meter { CommandLineTool.printError("") }
        return .ok
    }

    /// `listen --enroll`: the phrases from a recording or said into a microphone, then the
    /// model adapted to them and kept.
    static func enroll(_ arguments: Arguments) throws(UpturnError) -> ExitCode {
        for other in ["--json", "--no-enrolment", "--tilted"] where arguments.flags.contains(other) {
            throw UpturnError.usage("upturn listen: \(other) does not go with --enroll")
        }
        guard arguments.options["--reference"] == nil else { throw UpturnError.usage("upturn listen: --reference does not go with --enroll") }
        if arguments.flags.contains("--forget") {
            for other in ["--input", "--device", "--pack", "--voice-model"] where arguments.options[other] != nil {
                throw UpturnError.usage("upturn listen: --enroll --forget takes no \(other)")
            }
            let removed = try VoiceEnrolment.forget()
            CommandLineTool.printError(removed ? "upturn: the voice enrolment is removed" : "upturn: there is no voice enrolment to remove")
            return .ok
        }
        let commands = try PackLocator.load(arguments.options["--pack"]).voiceCommands()
        let model = arguments.options["--voice-model"] ?? SpeechRecognizer.defaultModel
        let prompts = VoiceEnrolment.prompts(commands)
        let takes: [VoiceEnrolment.Take]
        let source: String
        if let input = arguments.options["--input"] {
            takes = try VoiceEnrolment.takes(inFile: input, prompts: prompts)
            source = PathText.resolved(input)
        } else {
            let device = arguments.options["--device"] ?? "default"
            let queue = ControlQueue()
            Signals.install(wake: queue)
            CommandLineTool.printError("upturn: enrolment: say each phrase when asked, as you would say it on the table (Ctrl-C ends; nothing is kept)")
            guard let said = try VoiceEnrolment.takes(fromDevice: device, prompts: prompts, until: queue, say: { CommandLineTool.printError("upturn: " + $0) })
            else {
                CommandLineTool.printError("upturn: enrolment stopped; nothing kept")
                return .ok
            }
            takes = said
            source = "device " + device
        }
        let stored = try VoiceEnrolment.adapt(takes, model: model, source: source)
        CommandLineTool.printError(
            "upturn: enrolled from \(stored.takes) takes, kept in \(VoiceEnrolment.folder); listen, play and serve use it from now on (`upturn listen --enroll --forget` removes it)")
        return .ok
    }
}
