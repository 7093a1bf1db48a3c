/// The phrases that control a session, and what each does. Three or four syllables each: a
/// single word like "stop" turns up in ordinary speech (and in the player's own).
public struct VoiceCommands: Sendable, Equatable {
    public var phrases: [String: ControlCommand]
    /// Per phrase, the largest distance from the phone loop still counted (see
    /// `SpeechRecognizer`); a phrase not named here has `SpeechRecognizer.defaultThreshold`.
    public var thresholds: [String: Double]

    public init(phrases: [String: ControlCommand], thresholds: [String: Double] = [:]) {
        self.phrases = phrases
        self.thresholds = thresholds
    }

    /// The English defaults.
    public static let english = VoiceCommands(phrases: [
        "upturn pause": .pause, "upturn resume": .resume, "upturn next": .skip, "upturn back": .back, "upturn stop": .stop,
    ])
}

/// A command heard in audio, and when.
public struct HeardCommand: Sendable, Equatable {
    public var hypothesis: SpeechRecognizer.Hypothesis
    public var command: ControlCommand?
}

/// Recognizes commands in a recording (`upturn listen --input FILE`): any format libsndfile
/// reads, downmixed and resampled to 16 kHz.
public enum FileListener {
    public static func listen(
        file path: String, commands: VoiceCommands = .english, model: String = SpeechRecognizer.defaultModel
    ) throws(UpturnError) -> [HeardCommand] {
        let recognizer = try SpeechRecognizer(
            phrases: Array(commands.phrases.keys).sorted(), thresholds: commands.thresholds, model: model)
        // Streamed, so a recording of any length is heard in flat memory.
        let file = try AudioFileStream(path: path, what: "audio")
        let converter = try StreamingResampler(from: file.rate, to: SpeechRecognizer.rate)
        var heard: [SpeechRecognizer.Hypothesis] = []
        var input: [Float] = []
        var output = [Float](repeating: 0, count: 8192)
        var samples = [Int16](repeating: 0, count: 8192)
        while true {
            input.removeAll(keepingCapacity: true)
            let last = file.read(4096, appendingTo: &input) == 0
            var offset = 0
            var made = 0
            repeat {
                let used: Int
                (used, made) = input.withUnsafeBufferPointer { inBuffer in
                    output.withUnsafeMutableBufferPointer { outBuffer in
                        converter.process(UnsafeBufferPointer(rebasing: inBuffer[offset...]), into: outBuffer, last: last)
                    }
                }
                offset += used
                if used == 0 && made == 0 { break }  // nothing more will come of it
                for i in 0..<made { samples[i] = Int16(max(-32768, min(32767, (output[i] * 32768).rounded()))) }
                heard += samples.withUnsafeBufferPointer { recognizer.feed(UnsafeBufferPointer(rebasing: $0[0..<made])) }
            } while offset < input.count || (last && made > 0)
            if last { break }
        }
        heard += recognizer.finish()
        return heard.map { HeardCommand(hypothesis: $0, command: commands.phrases[$0.phrase]) }
    }
}
