import UpturnKit

enum VoicesCommand {
    static let help = """
        usage: upturn voices

        Lists the espeak-ng voices a pack or `say --voice` may name: language, then name.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "voices", valued: [], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "voices")
        let voices = EspeakSynthesizer.installedVoices()
        guard !voices.isEmpty else {
            throw UpturnError.unavailable("no espeak-ng voices are installed; run Scripts/setup (espeak-ng-data)")
        }
        let width = voices.map(\.language.count).max() ?? 0
        for voice in voices {
            print(voice.language + String(repeating: " ", count: width - voice.language.count + 2) + voice.name)
        }
        return .ok
    }
}

enum DevicesCommand {
    static let help = """
        usage: upturn devices

        Lists the ALSA playback devices `upturn play --device` may name.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "devices", valued: [], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "devices")
        for device in ALSASink.devices() {
            print(device.description.isEmpty ? device.name : "\(device.name)  \(device.description)")
        }
        return .ok
    }
}
