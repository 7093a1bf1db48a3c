/// The player never commands itself (issue 19, item 5): the player knows what it is saying
/// (its timeline), and a phrase heard while its own words contain the phrase's ("upturn
/// back" over "Tilt back slowly", anything over "Welcome to Upturn") needs a score of
/// `score`, not only to be heard: while the player was talking over the phrase (its echo
/// reference was speech), or with no reference to tell.
///
/// A word that sounds like one the player said counts too (`VoiceCommands.soundAlike`), for
/// every command but stop: the bench's programs gave "upturn resume" over "Slowly return
/// upright", which shares no word with it, and the room's first-time once acted on an
/// "upturn resume" of score -0.6 while nobody spoke. A stop is never asked for more than its
/// own words: a missed one leaves a person hanging.
///
/// The pronunciations of a session's words are looked up once, when it starts (`follow`),
/// not on a command's path: a word not looked up counts by its letters only. Used by one
/// thread (voice control's, or `listen`'s).
public final class OwnWordsRule {
    /// Measured on issue 19's corpus (`listen --json`, quiet and a fan at 20 dB, 414 commands
    /// heard rightly): they score 1.5 or more in 90 of 100, 3.9 in 80, 10 in half; the
    /// player's own words heard as commands over the built-in programs scored -0.3 to 2.2
    /// (`Scripts/bench`: "help" over "Let the table hold you", "upturn resume" over "Slowly
    /// return upright"). So a phrase said while the player says its words is acted on at 3
    /// or more (about 80 in 100 real ones; the others are said again once the player is quiet).
    public static let score = 3.0

    private let pronunciations: Pronunciations?
    private let phraseWords: [String]
    private var following: PlayerWords?

    /// `model`: the recognizer's, whose dictionary says how words sound (nil: letters only).
    public init(phrases: [String], model: String?) {
        pronunciations = model.map { Pronunciations(model: $0) }
        phraseWords = phrases.flatMap(VoiceCommands.words)
    }

    /// Looks up how a session's words and the phrases' sound, once for each session (one
    /// read of the dictionary; nothing when the session is the one already followed).
    public func follow(_ words: PlayerWords?) {
        guard let words, words !== following else { return }
        following = words
        pronunciations?.prepare(words.vocabulary + phraseWords)
    }

    /// How many times the dictionary was read (tests).
    var dictionaryReads: Int { pronunciations?.reads ?? 0 }

    /// The phrase's words the player said (`saying`: its last few seconds), or nil when the
    /// rule does not apply. `echoCancelled`: there is a reference, so `overPlayer` tells
    /// whether the player was talking over the phrase.
    public func ownWords(of item: HeardCommand, saying: String, echoCancelled: Bool) -> [String]? {
        guard item.overPlayer || !echoCancelled else { return nil }
        var sounds: ((String) -> [[String]]?)?
        if let pronunciations, item.command != .stop { sounds = { pronunciations.known($0) } }
        let own = VoiceCommands.ownWords(of: item.hypothesis.phrase, in: saying, sounds: sounds)
        return own.isEmpty ? nil : own
    }

    /// What a session does with a heard command (`VoiceControl`; `listen --plan` judges the
    /// same way): acts on it, or ignores it, with the line that says why.
    public enum Verdict: Equatable {
        /// `scored`: the command with its score, when the rule had to take it.
        case act(scored: HeardCommand?)
        case ignored(String)
    }

    /// Under its threshold; the player's own words (`ownWords`) under `score`; "help" and
    /// "stop stop" while upright, or while the player was talking. `scored` hears the
    /// command again for its score, only when the rule needs it.
    public func judge(
        _ item: HeardCommand, saying: @autoclosure () -> String, echoCancelled: Bool, tilted: @autoclosure () -> Bool,
        scored: () -> HeardCommand
    ) -> Verdict {
        let phrase = item.hypothesis.phrase
        guard item.hypothesis.accepted else {
            return .ignored("heard \"\(phrase)\" with score \(item.hypothesis.score), under its threshold; ignored")
        }
        var taken: HeardCommand?
        if let own = ownWords(of: item, saying: saying(), echoCancelled: echoCancelled) {
            let heard = scored()
            taken = heard
            guard heard.hypothesis.score >= Self.score else {
                return .ignored(
                    "heard \"\(phrase)\" (score \(heard.hypothesis.score)) while the player said \"\(own.joined(separator: " "))\"; taken for its own words (say it again)")
            }
        }
        if item.onlyTilted && !tilted() { return .ignored("heard \"\(phrase)\" while upright; it stops only while tilted") }
        if item.onlyTilted && item.overPlayer {
            return .ignored("heard \"\(phrase)\" while the player was talking; taken for its own words (say it again, or \"upturn stop\")")
        }
        return .act(scored: taken)
    }
}
