/// The phrases that control a session, and what each does. Three or four syllables each: a
/// single word like "stop" turns up in ordinary speech (and in the player's own).
public struct VoiceCommands: Sendable, Equatable {
    public var phrases: [String: ControlCommand]
    /// Per phrase, the smallest score still counted (see `SpeechRecognizer`); a phrase not
    /// named here has `threshold(for:)`'s.
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
    /// one costs a closing cue) and `foundAgain` for the others (heard again
    /// whole before they act: it kept out a third of the wrong commands and cost 7% of the
    /// right ones, on the development voices of issue 19).
    public func threshold(for phrase: String) -> Double {
        if let set = thresholds[phrase] { return set }
        return command(of: phrase) == .stop ? -.infinity : Self.foundAgain
    }

    /// A threshold that asks only that the phrase is found again when its utterance is heard
    /// again whole (a score over -99; see `SpeechRecognizer.scored`).
    public static let foundAgain = -98.0

    /// A phrase as it is matched: lower case, one space between words.
    public static func normalize(_ phrase: String) -> String {
        phrase.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// The keys of a pack's `listen.phrases`, and their commands (`start`: `serve`'s).
    public static let packKeys: [(key: String, command: ControlCommand?)] = [
        ("pause", .pause), ("resume", .resume), ("next", .skip), ("back", .back), ("stop", .stop), ("start", nil),
    ]

    /// The phrase of a command's key in a pack (`pause`, `next`, ..., `start`).
    public func phrase(for key: String) -> String? {
        guard let entry = Self.packKeys.first(where: { $0.key == key }) else { return nil }
        guard let command = entry.command else { return startPhrase }
        return phrases.first { $0.value == command }?.key
    }

    /// The words of `phrase` that are in `said` (the player's own words), compared as
    /// lowercase letters: "upturn back" in "Tilt back slowly" is ["back"].
    /// With `sounds` (a word's pronunciations, as phones; nil or empty when unknown), a word
    /// that sounds like one of `said` counts too (`soundAlike`): "upturn resume" in "Slowly
    /// return upright" is ["upturn", "resume"].
    public static func ownWords(of phrase: String, in said: String, sounds: ((String) -> [[String]]?)? = nil) -> [String] {
        let spoken = Set(words(said))
        return words(phrase).filter { word in
            guard !spoken.contains(word) else { return true }
            guard let sounds, let heard = sounds(word) else { return false }
            return spoken.contains { other in (sounds(other) ?? []).contains { theirs in heard.contains { soundAlike($0, theirs) } } }
        }
    }

    /// The lowercase words of `text`.
    public static func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && $0 != "'" }.map(String.init)
    }

    /// Two pronunciations that begin with the same two phones, or end with the same two
    /// (both of three phones or more): "upturn" (AH P T ER N) sounds like "upright" (AH P R
    /// AY T) and "return" (R IH T ER N), "resume" (R IH Z UW M) like "return", "next" (N EH K
    /// S T) like "neck". What a recognizer takes one for when the other is said.
    public static func soundAlike(_ a: [String], _ b: [String]) -> Bool {
        guard a.count >= 2, b.count >= 2 else { return false }
        if a.prefix(2).elementsEqual(b.prefix(2)) { return true }
        return a.count >= 3 && b.count >= 3 && a.suffix(2).elementsEqual(b.suffix(2))
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

