/// The phrases that control a session, and what each does. Three or four syllables each: a
/// single word like "stop" turns up in ordinary speech (and in the player's own).
public struct VoiceCommands: Sendable, Equatable {
    public var phrases: [String: ControlCommand]
    /// Per phrase, the smallest score still counted (see `SpeechRecognizer`); a phrase not
    /// named here has `SpeechRecognizer.defaultThreshold`.
    public var thresholds: [String: Double]

    /// The phrase that starts today's session in `serve` (nil: none). It is heard only there.
    public var startPhrase: String?

    /// Phrases acted on only while the person is tilted ("stop stop", "help": both stop). A
    /// person hanging upside down says what comes first; upright they are ordinary words.
    public var tiltedPhrases: [String: ControlCommand]

    public init(
        phrases: [String: ControlCommand], startPhrase: String? = nil, thresholds: [String: Double] = [:],
        tiltedPhrases: [String: ControlCommand] = VoiceCommands.tiltedStops
    ) {
        self.phrases = phrases
        self.startPhrase = startPhrase
        self.thresholds = thresholds
        self.tiltedPhrases = tiltedPhrases
    }

    /// While tilted, "stop stop" and "help" stop too, in every pack.
    public static let tiltedStops: [String: ControlCommand] = ["stop stop": .stop, "help": .stop]

    /// The command of a phrase (a tilted-only phrase's too).
    public func command(of phrase: String) -> ControlCommand? { phrases[phrase] ?? tiltedPhrases[phrase] }

    /// The smallest score a phrase needs: the pack's, or else none for the phrases that stop
    /// (acted on the moment they are heard: a missed stop leaves a person hanging, a false
    /// one costs a closing cue) and `SpeechRecognizer.foundAgain` for the others (heard again
    /// whole before they act: it kept out a third of the wrong commands and cost 7% of the
    /// right ones, on the development voices of issue 19).
    public func threshold(for phrase: String) -> Double {
        if let set = thresholds[phrase] { return set }
        return command(of: phrase) == .stop ? -.infinity : SpeechRecognizer.foundAgain
    }

    /// The phrase of a command's key in a pack (`pause`, `next`, ..., `start`).
    public func phrase(for key: String) -> String? {
        guard let entry = PackReader.listenCommands.first(where: { $0.key == key }) else { return nil }
        guard let command = entry.command else { return startPhrase }
        return phrases.first { $0.value == command }?.key
    }

    /// Every phrase the recognizer listens for.
    public var allPhrases: [String] {
        Array(Set(phrases.keys).union(tiltedPhrases.keys).union(startPhrase.map { [$0] } ?? [])).sorted()
    }

    /// The highest threshold a pack may set. Commands heard score up to about 25 (flite's
    /// voices, said alone: 4 to 22); a threshold above 30 makes a phrase unreachable.
    public static let highestThreshold = 30.0

    /// The English defaults.
    public static let english = VoiceCommands(
        phrases: ["upturn pause": .pause, "upturn resume": .resume, "upturn next": .skip, "upturn back": .back, "upturn stop": .stop],
        startPhrase: "upturn start")
}

/// A command heard in audio, and when.
public struct HeardCommand: Sendable, Equatable {
    public var hypothesis: SpeechRecognizer.Hypothesis
    public var command: ControlCommand?
    /// A phrase acted on only while tilted ("help").
    public var onlyTilted = false
}

/// Recognizes commands in a recording (`upturn listen --input FILE [--reference FILE]`): any
/// format libsndfile reads, downmixed and resampled to 16 kHz. The reference is what was
/// playing meanwhile, cancelled from the input as during a session.
public enum FileListener {
    public static func listen(
        file path: String, reference: String? = nil, commands: VoiceCommands = .english,
        model: String = SpeechRecognizer.defaultModel
    ) throws(UpturnError) -> [HeardCommand] {
        let listener = try CommandListener(commands: commands, model: model, echoCancelling: reference != nil)
        // Streamed, so a recording of any length is heard in flat memory.
        let input = try SixteenKilohertzFile(path: path, what: "audio")
        let playing = try reference.map { (path) throws(UpturnError) in try SixteenKilohertzFile(path: path, what: "reference audio") }
        var heard: [HeardCommand] = []
        var pending: [Int16] = []
        while !input.ended {
            let samples = input.next()
            guard let playing else {
                heard += samples.withUnsafeBufferPointer { listener.hear($0) }.map(listener.scored)
                continue
            }
            while pending.count < samples.count && !playing.ended { pending += playing.next() }
            let count = min(pending.count, samples.count)
            heard += samples.withUnsafeBufferPointer { mic in
                pending.withUnsafeBufferPointer { ref in listener.hear(mic, reference: UnsafeBufferPointer(rebasing: ref[0..<count])) }
            }.map(listener.scored)
            pending.removeFirst(count)
        }
        return heard + listener.finish()
    }
}

/// Recognizes commands from a microphone until a signal (`upturn listen --device NAME`),
/// reporting the input level about ten times a second so a person can place the microphone.
public enum DeviceListener {
    public static func listen(
        device: String, commands: VoiceCommands, model: String, until queue: ControlQueue,
        level: (Double) -> Void, heard: (HeardCommand, Double) -> Void, problem: (String) -> Void = { _ in }
    ) throws(UpturnError) {
        let listener = try CommandListener(commands: commands, model: model, echoCancelling: false)
        let capture = try ALSACapture(device: device)
        var buffer = [Int16](repeating: 0, count: SpeechRecognizer.rate / 10)
        var frames = 0
        while true {
            switch buffer.withUnsafeMutableBufferPointer({ capture.read(into: $0, stop: queue.wakeFD, milliseconds: 500) }) {
            case .stopped:
                return
            case .lost(let error):
                throw ALSACapture.unavailable(device, error)
            case .nothing:
                continue
            case .frames(let count):
                frames += count
                var found = buffer.withUnsafeBufferPointer { listener.hear(UnsafeBufferPointer(rebasing: $0[0..<count])) }
                while !found.isEmpty {
                    for item in found { heard(listener.scored(item), Double(frames) / Double(SpeechRecognizer.rate)) }
                    found = listener.hear(UnsafeBufferPointer(start: nil, count: 0))
                }
                level(listener.takeLevel())
                for line in listener.takeMicrophoneLines() { problem("microphone '\(device)' \(line)") }
            }
        }
    }
}
