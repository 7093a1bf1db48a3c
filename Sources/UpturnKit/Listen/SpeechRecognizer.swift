import CPocketSphinx
import Foundation

/// Spoken commands, recognized offline with pocketsphinx, in 16 kHz mono audio.
///
/// The decoder knows a small grammar: any sounds (a loop of the model's phones, one "word"
/// each), a command phrase, and any sounds again — or sounds alone. A command has to fit the
/// audio better than the best string of phones does, word penalties counted: the way
/// keyword spotters judge a keyword against a phone loop. (Before issue 19 the garbage was
/// 200 English words; speech from voices it was not tuned on decoded as them, "upturn" as
/// "but your" or "that can", and it heard 20% of the commands of the new corpus; the loop
/// hears 82% in a quiet room on the voices it was designed on.) An utterance that did decode
/// as a command is then decoded again whole, with the commands and with the phones alone:
/// its score is how much better the command path fits, per 10 ms of audio (-99 when the
/// second hearing lost the command). A pack may set a threshold on it per phrase.
///
/// People pause between "upturn" and the word. An utterance ends after 0.3 s of silence, so
/// a pause of 0.3 s or more split the phrase in two and neither half was a command. Now an
/// utterance that held no command is kept, and when speech begins again within a second of
/// its end, both are heard again as one utterance: the phrase is heard however long the
/// pause (up to a second), while a phrase said at once still ends 0.3 s after it.
///
/// `UPTURN_LISTEN_DEBUG=1` logs every utterance's words on stderr, for tuning.
public final class SpeechRecognizer {
    /// What an utterance was heard as.
    public struct Hypothesis: Sendable, Equatable {
        public var phrase: String
        /// How much better the phrase fits the utterance than ordinary words alone do, in the
        /// decoder's log units per 10 ms frame (0: as well; measured, real commands score 1 to 8).
        public var score: Double
        /// When the utterance ended, in seconds of audio from the start.
        public var end: Double
        /// At or over its phrase's threshold: a command.
        public var accepted: Bool
        /// The utterance's speech while the score is still to be taken (`scored(_:)`): a
        /// phrase with no threshold is acted on first, and scored for the log after.
        var unscored: [Int16] = []
        /// Found at the second hearing (`secondHearing`): scored at its own level too.
        var ownLevel = false
        /// How many samples the utterance's speech took, with 0.3 s before it and the silence
        /// that ended it (at most 3 s): when the phrase was said.
        var samples = 0
        /// Heard again whole with the commands (`confirmation(of:)`), when it was: found
        /// again (with the path's score) or lost.
        var confirmation: Confirmation?
    }

    /// What hearing an utterance again whole with the commands made of its phrase.
    enum Confirmation: Equatable, Sendable {
        case found(score: Int32)
        case lost
    }

    static let debug = ProcessInfo.processInfo.environment["UPTURN_LISTEN_DEBUG"] != nil
    /// The rate the models expect.
    public static let rate = 16_000
    /// Debian's US English model (pocketsphinx-en-us).
    public static let defaultModel = "/usr/share/pocketsphinx/model/en-us"
    /// The smallest score a phrase needs unless a pack sets one: none. A pack sets one for a
    /// room where ordinary talk still comes out as a command.
    public static let defaultThreshold = -Double.infinity
    /// A threshold that asks only that the phrase is found again when its utterance is heard
    /// again whole (a score over -99).
    public static let foundAgain = VoiceCommands.foundAgain
    /// The longest utterance heard as a possible command: 4 s of speech (a phrase takes
    /// about one). Longer talk is not a command; heard to its end, it would cost more and
    /// more and could be forced into one.
    static let longestUtterance = 4 * rate
    /// What a new utterance, started after a long one, hears again of the old one's end.
    static let carriedOver = 3 * rate / 2
    /// The decoder's settings: a small word insertion penalty and silence probability (the
    /// garbage is many one-phone words; measured on flite's voices in `Scripts/voice-corpus`'s
    /// quiet room, -wip 0.01 heard 82%, 0.05 76%, 0.3 62%, 0.0001 53% with 27 wrong), a
    /// language weight of 10 (6: 76%, 14: far fewer), and bounded beams
    /// (about 4% of a core here through continuous talk). An utterance ends after 0.3 s of
    /// silence (pocketsphinx's default is 0.5 s): since the player's echo-only frames are
    /// silenced (`VoiceFrontEnd`), most commands end that way, and the half second kept the
    /// action 430 to 720 ms after the phrase on the room bed. Measured at 0.3 s: the same
    /// detection on every corpus (noisy 43 of 45 against 42), and 9 false commands in 36
    /// minutes of dense reading aloud against 7; none over the player's own speech or
    /// pocketsphinx-testdata either way.
    static let settings = [
        "-wip", "0.01", "-silprob", "0.1", "-lw", "10", "-maxwpf", "5", "-maxhmmpf", "2000", "-vad_postspeech", "30",
    ]

    /// For tuning: `UPTURN_LISTEN_SETTINGS="-topn 2"` adds decoder settings after `settings`
    /// (pocketsphinx's own names; a setting it does not know is the model load's error).
    static let tuning = ProcessInfo.processInfo.environment["UPTURN_LISTEN_SETTINGS"].map { $0.split(separator: " ").map(String.init) } ?? []

    public let phrases: [String]
    /// While tilted the stop phrases are weighed up, by this much against the others in the
    /// grammar (a JSGF weight): issue 19 asks for a bias toward hearing them there, where a
    /// missed stop leaves a person hanging and a false one costs a closing cue. Measured on
    /// issue 19's corpus in quiet, every voice, with the weight on throughout (`listen
    /// --tilted`): weights 3 and 10 changed nothing; 1 000, 10^5 and 10^7 heard the stops 62,
    /// 67 and 67 of 80 (59 without), every command 204, 213 and 216 of 240 (198), wrong 10, 4
    /// and 3 (14), no voice worse; beside a fan at 10 dB (10^5) 38 of 80 stops (36), 113 of
    /// 240 (112), 23 wrong (20); over 68 minutes of prose and near-miss sentences, 26 false
    /// commands, 19 of them stops (16 and 6 without). Upright the phrases are as they were.
    static let favouredWeight = 100_000
    /// The next utterance is heard as while tilted (the stops weighed up); set between
    /// utterances, taken when one begins.
    public var tilted = false
    private let hasTiltedSearch: Bool
    /// The command search the utterance under way is heard with ("commands" or "tilted").
    private var search = "commands"
    /// Per phrase, the smallest score still counted.
    public let thresholds: [String: Double]
    private let decoder: OpaquePointer
    private var inUtterance = false
    private var wasSpeech = false
    private var samplesFed = 0
    private var speechSamples = 0
    /// How many looks in a row (100 ms apart) the best path must hold a command. Measured:
    /// two took some real commands early, from the wrong word (quiet 42, noisy 41 of 45, and
    /// 2 wrong); three, 45 and 43 with none wrong; waiting for the silence after the phrase
    /// instead costs over half a second.
    static let steadyLooks = 3
    /// Looks are taken only inside talk that has gone on this long (2 s): the player's own
    /// speech around a command, which would otherwise keep the utterance open. A command
    /// said into a quiet room ends with the silence after it, as before: taking it early
    /// there changed how the next utterances were heard (a quiet-room command missed).
    static let talkBeforeLooking = 2 * rate
    /// The command in the best path at the last look, and samples since it.
    private var lastLook: String?
    private var looks = 0
    private var sinceLook = 0
    /// The utterance's audio (its last seconds), to hear it again against the phones, and
    /// where its speech began in it.
    private var utterance: [Int16] = []
    private var speechStart = 0
    /// The last utterance that held no command (its end, `heldLongest`), and where it ended,
    /// to be heard again with the next one when that begins within `pauseHeard`.
    private(set) var held: [Int16] = []
    private var heldEnd = 0
    /// The longest pause between two utterances heard as one phrase: 1 s.
    static let pauseHeard = rate
    /// What is kept of an utterance that held no command, to be heard again with the next:
    /// its last 1.5 s ("upturn" takes under one, then 0.3 s of silence ended it). All of it
    /// (up to 3 s) was heard again each time: in a live session, the echo the canceller leaves
    /// of the player's talk makes such utterances one after another, and hearing them again
    /// cost more than hearing the session once. Measured on a live session's microphone
    /// (first-time in the PulseAudio room, nobody speaking, heard again with `listen
    /// --input --reference`): 82 s of held talk heard again in 326 s, 16.6 s of a core; with
    /// 1.5 s, 45 s and 13.8 s. On issue 19's corpus (as built, 960 commands in quiet, a fan at
    /// 20 and 10 dB and brown noise): 712 heard and 71 wrong before, 708 and 74 after (the live
    /// cepstral mean moves with what is heard again: 5 commands lost, 2 won in pink20).
    static let heldLongest = rate * 3 / 2
    /// An utterance that held no command is heard again at once, whole and at its own level,
    /// for a phrase other than the tilted stops, when it could be one: 0.3 to 3 s of speech
    /// that the first hearing made at most 8 sounds of (a phrase is 3 to 10 phones; talk is
    /// more, and hearing it again would cost).
    /// The first hearing is live: pocketsphinx takes off the cepstral mean of the speech
    /// before (a few seconds of it), so a phrase much louder than the ones before it did not
    /// fit the model. Measured on issue 19's corpus (as built, every voice; found by
    /// sorting the misses by level: commands at -10 to -20 dBFS were heard 51%, at -20 to
    /// -40 dBFS 83-86%): quiet 74.2% -> 82.5% (-10 to -20 dBFS: 70%), a fan (pink noise) at
    /// 20 dB 79.2% -> 87.1%, at 10 dB 28.3% -> 46.2%, brown noise at 10 dB 71.7% -> 83.3%;
    /// but wrong commands 9 -> 15 in quiet, false over 68 minutes of prose 12 -> 14. No more
    /// time over continuous talk (409 s of prose: 40 s of a core either way; without the
    /// 8-sound limit, 67 s).
    /// Not an utterance the player talked through (`playerTalkedThrough`, from the echo
    /// reference): in a live first-time with nobody speaking, 47 of the 48 utterances made
    /// of what the echo canceller left of the player were heard again (offline, that
    /// session's dump: 11.7 s of a core for its 326 s, 9.0 s without them), and not one
    /// command more or less was heard over the player or false over the four programs at
    /// three echo levels for it.
    static let secondHearing = (shortest: rate * 3 / 10, longest: 3 * rate, sounds: 8)

    /// `model`: a pocketsphinx model folder as Debian lays it out (`en-us/` with `mdef`,
    /// `means`, ... beside `cmudict-en-us.dict`), or an acoustic model folder with a
    /// dictionary (`*.dict`) in it or beside it.
    /// `adaptation`: an MLLR transform of the model's means (`VoiceEnrolment`).
    /// `favoured`: the phrases weighed up while `tilted` (the stops).
    public init(
        phrases: [String], thresholds: [String: Double] = [:], model: String = SpeechRecognizer.defaultModel,
        adaptation: String? = nil, favoured: Set<String> = []
    ) throws(UpturnError) {
        upturn_ps_silence()
        let (acoustic, dictionary) = try Self.locate(model)
        let normalized = phrases.map(Self.normalize)
        self.phrases = normalized
        self.thresholds = Dictionary(normalized.map { ($0, thresholds[$0] ?? Self.defaultThreshold) }, uniquingKeysWith: { a, _ in a })
        // Only the words it can hear, from the model's dictionary (134 000 words in Debian's,
        // some 40 MB in the decoder): a small dictionary of its own, made for this decoder,
        // with one word for each of the model's phones (the garbage loop).
        let commandWords = Set(normalized.flatMap { $0.split(separator: " ").map(String.init) })
        let (entries, unknown, phones) = try Self.pronunciations(of: commandWords, in: dictionary)
        let missing = commandWords.filter { unknown.contains($0) }
        guard missing.isEmpty else {
            throw UpturnError.data("the recognizer's dictionary does not know: \(missing.sorted().joined(separator: ", "))")
        }
        let garbage = phones.sorted().map { (word: Self.phoneWord($0), phone: $0) }
        let small = FileManager.default.temporaryDirectory.path + "/upturn-\(getpid())-\(UUID().uuidString.prefix(8)).dict"
        let text = entries + garbage.map { "\($0.word) \($0.phone)\n" }.joined()
        guard FileManager.default.createFile(atPath: small, contents: Data(text.utf8)) else {
            throw UpturnError.unavailable("cannot write the recognizer's dictionary to \(small)")
        }
        defer { try? FileManager.default.removeItem(atPath: small) }
        let arguments = ["-hmm", acoustic, "-dict", small, "-samprate", "16000"] + Self.settings + Self.tuning + (adaptation.map { ["-mllr", $0] } ?? [])
        try Self.probe(arguments, model: model)
        guard let decoder = Self.decoder(arguments + ["-logfn", "/dev/null"]) else {
            throw UpturnError.unavailable("\(model): pocketsphinx cannot load this model")
        }
        self.decoder = decoder
        // While tilted, the stop phrases weighed up (`favouredWeight`).
        let favouredPhrases = Set(favoured.map(Self.normalize)).intersection(normalized)
        hasTiltedSearch = !favouredPhrases.isEmpty
        guard !normalized.isEmpty else { return }
        guard !garbage.isEmpty else {
            ps_free(decoder)
            throw UpturnError.data("\(model): the dictionary names no phones")
        }
        let loop = "<phone> = ( \(garbage.map(\.word).joined(separator: " | ")) );\n"
        // A command said on its own in the phone loop, its phrases the alternatives given.
        func withCommands(_ grammar: String, _ alternatives: [String]) -> String {
            "#JSGF V1.0;\ngrammar \(grammar);\npublic <utterance> = <phone>* <command> <phone>* | <phone>+ ;\n"
                + "<command> = ( \(alternatives.joined(separator: " | ")) );\n" + loop
        }
        let commands = withCommands("upturn", normalized)
        let ordinary = "#JSGF V1.0;\ngrammar ordinary;\npublic <utterance> = <phone>+ ;\n" + loop
        let tiltedGrammar = favouredPhrases.isEmpty
            ? nil : withCommands("tilted", normalized.map { (favouredPhrases.contains($0) ? "/\(Self.favouredWeight)/ " : "/1/ ") + $0 })
        guard ps_set_jsgf_string(decoder, "ordinary", ordinary) == 0, ps_set_jsgf_string(decoder, "commands", commands) == 0,
            tiltedGrammar.map({ ps_set_jsgf_string(decoder, "tilted", $0) == 0 }) ?? true,
            ps_set_search(decoder, "commands") == 0
        else {
            ps_free(decoder)
            throw UpturnError.internalError("pocketsphinx refused the command grammar")
        }
    }

    /// The garbage loop's word for a phone ("ph_aa" for AA): not an English word, so it never
    /// clashes with a pack's phrase.
    static func phoneWord(_ phone: String) -> String { phonePrefix + phone.lowercased() }
    static let phonePrefix = "ph_"

    deinit {
        ps_free(decoder)
    }

    static func normalize(_ phrase: String) -> String { VoiceCommands.normalize(phrase) }

    /// The acoustic model folder and the dictionary of a model folder.
    static func locate(_ model: String) throws(UpturnError) -> (acoustic: String, dictionary: String) {
        let files = FileManager.default
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: model, isDirectory: &isFolder), isFolder.boolValue else {
            throw UpturnError.noInput("\(model): no such voice model folder")
        }
        let nested = model + "/en-us"
        let acoustic = files.fileExists(atPath: nested + "/mdef") ? nested : model
        guard files.fileExists(atPath: acoustic + "/mdef"), files.fileExists(atPath: acoustic + "/means") else {
            throw UpturnError.data("\(model): not a pocketsphinx model folder (no mdef and means)")
        }
        for folder in [acoustic, PathText.parent(acoustic)] {
            let names = ((try? files.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".dict") }.sorted()
            if let name = names.first(where: { $0.hasPrefix("cmudict") }) ?? names.first { return (acoustic, folder + "/" + name) }
        }
        throw UpturnError.data("\(model): no pronunciation dictionary (*.dict) in or beside the acoustic model")
    }

    /// The words of `phrases` a model's dictionary does not know (`upturn check`).
    public static func unknownWords(in phrases: [String], model: String = defaultModel) throws(UpturnError) -> [String] {
        let words = Set(phrases.flatMap { normalize($0).split(separator: " ").map(String.init) })
        return try pronunciations(of: words, in: locate(model).dictionary).unknown.sorted()
    }

    /// The dictionary's lines for `words` (alternative pronunciations, `word(2)`, included),
    /// the words it does not have, and every phone its pronunciations use.
    static func pronunciations(
        of words: Set<String>, in dictionary: String
    ) throws(UpturnError) -> (entries: String, unknown: Set<String>, phones: Set<String>) {
        var entries = ""
        var found: Set<String> = []
        var phones: Set<String> = []
        try PronunciationDictionary.scan(dictionary) { head, line, rest in
            for phone in PronunciationDictionary.phones(rest) where phone.count <= 8 { phones.insert(String(decoding: phone, as: UTF8.self)) }
            let word = String(decoding: head, as: UTF8.self)
            guard words.contains(word) else { return }
            found.insert(word)
            entries += String(decoding: line, as: UTF8.self) + "\n"
        }
        // A phone is letters (and digits: some models mark stress); anything else is not one.
        let named = phones.filter { $0.allSatisfy { $0.isLetter || $0.isNumber } }
        return (entries, words.subtracting(found), Set(named))
    }

    /// Loads the model once in a child process first: pocketsphinx ends the whole process on
    /// a damaged file (a corrupt `mdef` ended `play` with exit 1 and no word). Its log names
    /// the file it stopped at; that line is the error. About the time of one model load.
    private static func probe(_ arguments: [String], model: String) throws(UpturnError) {
        let log = FileManager.default.temporaryDirectory.path + "/upturn-\(getpid())-\(UUID().uuidString.prefix(8)).log"
        defer { try? SystemCall.unlink(log) }
        let status = withArguments(arguments) { upturn_ps_probe($0, $1, log) }
        guard status != 0, status != -1 else { return }  // loaded (or no child could be made: load it here)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").map(String.init)
        let fatal = lines.last { $0.hasPrefix("FATAL") || $0.hasPrefix("ERROR") } ?? lines.last ?? ""
        // "FATAL: \"bin_mdef.c\", line 332: Failed to open ... 'FILE'" or "ERROR: ...": the
        // message after the source place.
        var reason = fatal
        if let line = fatal.range(of: ", line "), let colon = fatal[line.upperBound...].range(of: ": ") {
            reason = String(fatal[colon.upperBound...])
        }
        reason = String(reason.prefix(160))
        // The file it was reading, when the reason does not name one.
        let files = lines.compactMap { line in line.split(separator: " ").last { $0.hasPrefix("/") }.map(String.init) }
        if let file = files.last, !reason.contains(file) { reason += " (reading \(file))" }
        reason = TerminalText.safe(reason)
        throw UpturnError.data(
            "\(model): pocketsphinx cannot load this model: "
                + (reason.isEmpty ? "it stopped while reading it (status \(status)); check mdef, means, variances and the dictionary" : reason))
    }

    private static func decoder(_ arguments: [String]) -> OpaquePointer? {
        // cmd_ln keeps pointers to the strings while the decoder lives: they are freed after.
        withArguments(arguments) { count, argv in
            guard let config = upturn_ps_config(count, argv) else { return nil }
            defer { cmd_ln_free_r(config) }
            return ps_init(config)
        }
    }

    /// `arguments` as C's `argc` and `argv` (without a program name) while `body` runs.
    private static func withArguments<T>(
        _ arguments: [String], _ body: (Int32, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> T
    ) -> T {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        defer { argv.forEach { free($0) } }
        return argv.withUnsafeMutableBufferPointer { body(Int32($0.count), $0.baseAddress!) }
    }

    /// Feeds audio; returns what the utterances that ended in it were heard as (only those
    /// heard as a command phrase: accepted or not).
    public func feed(_ samples: UnsafeBufferPointer<Int16>) -> [Hypothesis] {
        guard let base = samples.baseAddress, !samples.isEmpty, !phrases.isEmpty else { return [] }
        if !inUtterance {
            let wanted = tilted && hasTiltedSearch ? "tilted" : "commands"
            if wanted != search {
                ps_set_search(decoder, wanted)
                search = wanted
            }
            ps_start_utt(decoder)
            inUtterance = true
            wasSpeech = false
            utterance.removeAll(keepingCapacity: true)
            speechStart = 0
        }
        ps_process_raw(decoder, base, samples.count, 0, 0)
        samplesFed += samples.count
        utterance.append(contentsOf: samples)
        let kept = Self.longestUtterance + Self.rate
        if utterance.count > kept + Self.rate {
            let drop = utterance.count - kept
            utterance.removeFirst(drop)
            speechStart = max(0, speechStart - drop)
        }
        var speech = ps_get_in_speech(decoder) != 0
        if speech && !wasSpeech && !held.isEmpty && samplesFed - samples.count - heldEnd <= Self.pauseHeard {
            // Speech again soon after an utterance that held no command ("upturn", a pause,
            // "stop"): both heard again as one.
            ps_end_utt(decoder)
            ps_start_utt(decoder)
            utterance.insert(contentsOf: held, at: 0)
            held.removeAll()
            process(utterance)
            speechStart = 0
            speech = true
        } else if speech && !wasSpeech {
            speechStart = utterance.count - samples.count
        }
        speechSamples = speech ? speechSamples + samples.count : 0
        defer { wasSpeech = speech }
        // The best path so far, every 100 ms, in long talk: a command it has held for three
        // looks in a row is taken at once, even though the player's talk goes on around it.
        sinceLook += samples.count
        if sinceLook >= Self.rate / 10 {
            sinceLook = 0
            let partial = ps_get_hyp(decoder, nil).map { String(cString: $0) }.flatMap(phrase(in:))
            looks = partial != nil && partial == lastLook ? looks + 1 : 1
            lastLook = partial
            if partial != nil && looks >= Self.steadyLooks && speechSamples >= Self.talkBeforeLooking { return endUtterance() }
        }
        if speech && speechSamples > Self.longestUtterance {
            // Long talk: what it held so far is heard now (a command in it counts, as it would
            // at a pause), then a new utterance starts, hearing the last moments again when
            // there was none, so a command said as the talk went on is not lost.
            let carried = Array(utterance.suffix(Self.carriedOver))
            let found = endUtterance()
            guard found.isEmpty else { return found }
            held.removeAll()  // the talk goes on: it is carried over below instead
            utterance = carried
            speechStart = 0
            ps_start_utt(decoder)
            inUtterance = true
            process(carried)
            speechSamples = carried.count
            wasSpeech = ps_get_in_speech(decoder) != 0
            return []
        }
        guard wasSpeech && !speech else { return [] }
        return endUtterance()
    }

    /// Someone has been talking for 200 ms without a break (in what is left after the echo:
    /// the player's own talk is silenced before it gets here).
    public var hearsTalk: Bool { speechSamples >= Self.rate / 5 }

    /// Feeds audio heard again to the utterance under way, 20 ms at a time: in one call,
    /// seconds of it overflowed pocketsphinx's feature buffer, which ends the process
    /// (`acmod_process_cep: Assertion n_feat_frame <= n_feat_alloc`, seen on the corpus).
    private func process(_ audio: [Int16]) {
        audio.withUnsafeBufferPointer { all in
            var offset = 0
            while offset < all.count {
                let count = min(320, all.count - offset)
                ps_process_raw(decoder, all.baseAddress! + offset, count, 0, 0)
                offset += count
            }
        }
    }

    /// A command counts only said on its own: in an utterance with at most `commandWithin`
    /// other sounds (phones of the garbage loop: a breath, a click, a lip smack). Inside talk
    /// a phone loop lets the decoder find a phrase anywhere: over prose and near-miss
    /// sentences read by issue 19's ten voices, 546 false commands an hour; on their own,
    /// none in 21 minutes of three voices, and not one command fewer in a quiet room.
    static let commandWithin = 3
    /// "help" and "stop stop" (`alone`), short and common, get fewer: two. Inside talk "help"
    /// alone was heard 143 times in 20 minutes of a second person reading.
    public var alone: Set<String> = []
    static let aloneWithin = 2

    /// Whether the player talked through an utterance of so many samples (its speech, the
    /// 0.3 s before and the silence that ended it): one that did is not heard again.
    var playerTalkedThrough: (_ samples: Int) -> Bool = { _ in false }
    /// How many utterances were heard again (tests).
    private(set) var heardAgain = 0
    /// How many times audio was decoded whole, by any search (tests).
    private(set) var wholeHearings = 0

    /// The command phrase in a hypothesis's words, if any.
    private func phrase(in words: String) -> String? {
        let padded = " " + words + " "
        return phrases.first { phrase in
            guard padded.contains(" " + phrase + " ") else { return false }
            let others = words.split(separator: " ").count { $0.hasPrefix(Self.phonePrefix) }
            guard alone.contains(phrase) else { return others <= Self.commandWithin }
            return others <= Self.aloneWithin
        }
    }

    /// Ends the utterance under way (the end of a file): what it held.
    public func finish() -> [Hypothesis] {
        guard inUtterance else { return [] }
        return endUtterance()
    }

    /// Decodes `audio` whole with a search: the words and the path's score. `ownLevel`: with
    /// the cepstral mean of its own frames (`upturn_ps_own_mean_begin`), heard at its own
    /// level whatever the speech before it, leaving the live mean as it was. A phrase the
    /// first hearing found is scored with the live mean, as before: scored at its own level
    /// too, a paused "upturn ... back" at -30 dB was lost, and the player's "Slowly return
    /// upright" passed as "upturn resume" (quiet corpus: 82.9% heard, 10 wrong; this way
    /// 82.5%, 15 wrong).
    private func decodeWhole(_ audio: [Int16], search: String, ownLevel: Bool) -> (String?, Int32) {
        var score: Int32 = 0
        wholeHearings += 1
        ps_set_search(decoder, search)
        var saved = [mfcc_t](repeating: 0, count: 64)
        var was: Int32 = 0
        let ownMean = ownLevel && upturn_ps_own_mean_begin(decoder, &saved, 64, &was) == 0
        ps_start_utt(decoder)
        audio.withUnsafeBufferPointer { _ = ps_process_raw(decoder, $0.baseAddress, $0.count, 0, 1) }
        ps_end_utt(decoder)
        if ownMean { upturn_ps_own_mean_end(decoder, saved, was) }
        let words = ps_get_hyp(decoder, &score).map { String(cString: $0) }
        return (words, score)
    }

    /// `hypothesis`'s speech heard again whole with the commands: is its phrase found again?
    /// Only between utterances.
    private func confirmation(of hypothesis: Hypothesis) -> Confirmation {
        let (again, score) = decodeWhole(hypothesis.unscored, search: search, ownLevel: hypothesis.ownLevel)
        let found = again.map { (" " + $0 + " ").contains(" " + hypothesis.phrase + " ") } ?? false
        return found ? .found(score: score) : .lost
    }

    /// For `debug`: the words of the last search with their frames (100 a second).
    private func segments() -> String {
        var parts: [String] = []
        var seg = ps_seg_iter(decoder)
        while let current = seg {
            var start: Int32 = 0, end: Int32 = 0
            ps_seg_frames(current, &start, &end)
            parts.append("\(ps_seg_word(current).map { String(cString: $0) } ?? "?")@\(start)-\(end)")
            seg = ps_seg_next(current)
        }
        return parts.joined(separator: " ")
    }

    private func endUtterance() -> [Hypothesis] {
        ps_end_utt(decoder)
        inUtterance = false
        lastLook = nil
        sinceLook = 0
        // No words at all is kept too: a quiet "upturn" often decodes as nothing until the word
        // after it is heard with it.
        let words = ps_get_hyp(decoder, nil).map { String(cString: $0) } ?? ""
        if Self.debug { StandardError.write("heard at \(Double(samplesFed) / Double(Self.rate)) (wall \(String(format: "%.3f", Date().timeIntervalSince1970))): ' \(words) ' [\(segments()) of \(utterance.count / 160)]") }
        // Its speech, from 0.3 s before it began (not the seconds of silence before that), and
        // at most its last 3 s (a phrase takes under 2): an utterance inside the player's
        // talk can be 5 s long, and hearing it all again twice took over 2 s there.
        let from = min(utterance.count, max(0, speechStart - Self.rate * 3 / 10, utterance.count - 3 * Self.rate))
        var found = phrase(in: words)
        var ownLevel = false
        let speech = utterance.count - from
        if found == nil, (Self.secondHearing.shortest...Self.secondHearing.longest).contains(speech),
            words.split(separator: " ").count <= Self.secondHearing.sounds,
            !playerTalkedThrough(speech) {
            // Heard again whole, at its own level (`decodeWhole`'s own cepstral mean).
            let (again, _) = decodeWhole(Array(utterance[from...]), search: search, ownLevel: true)
            heardAgain += 1
            // Not the short tilted stops ("help"): in the player's own talk, heard again they
            // were found where its words held none ("have someone with you").
            found = again.flatMap(phrase(in:)).flatMap { alone.contains($0) ? nil : $0 }
            ownLevel = found != nil
            if Self.debug { StandardError.write("heard again: ' \(again ?? "") '") }
        }
        guard let phrase = found else {
            held = Array(utterance[max(from, utterance.count - Self.heldLongest)...])
            heldEnd = samplesFed
            return []
        }
        held.removeAll()
        let hypothesis = Hypothesis(
            phrase: phrase, score: .nan, end: Double(samplesFed) / Double(Self.rate), accepted: true, unscored: Array(utterance[from...]),
            ownLevel: ownLevel, samples: utterance.count - from)
        let threshold = thresholds[phrase] ?? Self.defaultThreshold
        guard threshold > -.infinity else { return [hypothesis] }
        // Only found again asked of it (every phrase but the stops, unless a pack sets a
        // threshold): one hearing, with the commands, before it is given; the score's second
        // hearing, against the phones alone, after it is acted on (`scored`).
        if threshold == Self.foundAgain {
            var confirmed = hypothesis
            confirmed.confirmation = confirmation(of: hypothesis)
            guard confirmed.confirmation == .lost else { return [confirmed] }
            // Lost: scored at once (-99), heard against the phones too, as every phrase is
            // before the decoder hears on: each whole hearing moves the live cepstral mean, so
            // the decoder hears the same things in the same order whichever way a phrase went.
            var judged = scored(confirmed)
            judged.accepted = false
            return [judged]
        }
        var judged = scored(hypothesis)
        judged.accepted = judged.score >= threshold
        return [judged]
    }

    /// `hypothesis` with its score: its speech heard again, whole, once with the commands and
    /// once against ordinary words alone (the same way both times, so the scores compare):
    /// how much better does the command fit? Only between utterances (as `feed` leaves the
    /// decoder when it returns a hypothesis). Measured here: 35 to 60 ms for each hearing of a
    /// phrase's 1.5 to 2 s, which is why a phrase with no threshold is acted on before, and
    /// one whose threshold asks only that it is found again (`foundAgain`, every phrase but
    /// the stops by default) after the first of the two hearings: live, "upturn pause" was
    /// paused 150 to 180 ms after its utterance ended, the two hearings before it was given.
    public func scored(_ hypothesis: Hypothesis) -> Hypothesis {
        guard !hypothesis.unscored.isEmpty, !inUtterance else { return hypothesis }
        let audio = hypothesis.unscored
        let confirmation = hypothesis.confirmation ?? confirmation(of: hypothesis)
        let (ordinary, ordinaryScore) = decodeWhole(audio, search: "ordinary", ownLevel: hypothesis.ownLevel)
        ps_set_search(decoder, search)
        // In the decoder's own log units per 10 ms frame of the utterance.
        let frames = Double(max(audio.count / 160, 1))
        let margin: Double
        switch confirmation {
        case .lost: margin = -99
        case .found(let rescored):
            margin = ordinary == nil ? 99 : max(-99, min(99, Double(Int(rescored) - Int(ordinaryScore)) / frames))
        }
        var result = hypothesis
        result.score = (margin * 10).rounded() / 10
        result.unscored = []
        return result
    }
}
