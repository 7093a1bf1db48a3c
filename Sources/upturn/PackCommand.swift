import Foundation
import UpturnKit

enum PackCommand {
    static let help = """
        usage: upturn pack keys
               upturn pack new DIR [--from NAME|DIR] [--voice V]
               upturn pack audition DIR|NAME [--output FILE.wav | --device NAME] [--rate HZ]

          keys      every cue key the engine speaks, with its variables and an example
          new       make a complete pack in DIR (every key, the chimes) to edit
          audition  speak every cue of a pack, each announced by its key
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "pack", valued: ["--from", "--voice", "--output", "-o", "--device", "--rate"], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        guard let action = arguments.positionals.first else { throw UpturnError.usage("upturn pack: name an action: keys, new or audition") }
        switch action {
        case "keys":
            try arguments.atMost(1, command: "pack keys")
            print(try PackAuthoring.keysListing())
        case "new":
            try arguments.atMost(2, command: "pack new")
            guard arguments.positionals.count == 2 else { throw UpturnError.usage("upturn pack new: name the folder to make") }
            let folder = arguments.positionals[1]
            let from = arguments.options["--from"]
            let source = try PackLocator.load(from)
            if let voice = arguments.options["--voice"] {
                // Fail now, not when the pack is first played.
                let known = EspeakSynthesizer.installedVoices()
                if !EspeakSynthesizer.knows(voice, installed: known) {
                    throw UpturnError.unavailable(EspeakSynthesizer.unknownVoiceMessage(voice, installed: known))
                }
            }
            try PackAuthoring.scaffold(folder: folder, from: source, voice: arguments.options["--voice"])
            let shown = TerminalText.safe(folder)
            print("made \(shown)/pack.json5; check it with `upturn check \(shown)`, hear it with `upturn pack audition \(shown)`")
        case "audition":
            try arguments.atMost(2, command: "pack audition")
            guard arguments.positionals.count == 2 else { throw UpturnError.usage("upturn pack audition: name the pack") }
            let rate = try CommandLineTool.rate(arguments, command: "pack audition")
            let pack = try PackLocator.load(arguments.positionals[1])
            let library = ClipLibrary(rate: rate, cache: PromptCache())
            library.prefetch { (estimate) throws(UpturnError) in _ = try PackAuthoring.audition(pack, rate: rate, measure: estimate) }
            let timeline = try PackAuthoring.audition(pack, rate: rate, measure: library)
            let target = AudioOutput.target(device: arguments.options["--device"], output: arguments.options["--output"] ?? arguments.options["-o"])
            _ = try PlaybackSession().play(timeline, clips: library, sink: try AudioOutput.open(target, rate: rate))
        default:
            throw UpturnError.usage(
                "upturn pack: unknown action '\(action.prefix(40))'\(Spelling.hint(for: action, in: ["keys", "new", "audition"])); use keys, new or audition")
        }
        return .ok
    }
}

enum PacksCommand {
    static let help = """
        usage: upturn packs

        Lists the installed cue packs: name, language, voice, and where each is.
        Packs are found by name in $UPTURN_PACKS, ~/.local/share/upturn/packs, the
        installed data folder and the shipped Sounds/; `en` is built in.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "packs", valued: [], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "packs")
        for pack in PackAuthoring.installedPacks() {
            print("\(pack.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(pack.language.padding(toLength: 8, withPad: " ", startingAt: 0)) \(pack.voice.padding(toLength: 10, withPad: " ", startingAt: 0)) \(TerminalText.safe(pack.folder))")
        }
        return .ok
    }
}
