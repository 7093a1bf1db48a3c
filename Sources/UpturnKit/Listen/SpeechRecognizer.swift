import CPocketSphinx
import Foundation

/// Spoken commands, recognized offline with pocketsphinx, in 16 kHz mono audio.
///
/// The decoder knows a small grammar: any number of ordinary words (fillers: common English
/// and the words the player itself says), a command phrase, and ordinary words again — or
/// ordinary words alone. A grammar of the phrases alone turns any speech into a command (the
/// issue measured 41 false commands over 22 minutes of the player's own speech); with the
/// fillers, speech decodes as fillers and a command has to beat them. An utterance that did
/// decode as a command is then decoded again whole, with the commands and with the fillers
/// alone: its score is how much better the command path fits, per 10 ms of audio (-99 when
/// the second hearing lost the command). A pack may set a threshold on it per phrase.
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
    }

    static let debug = ProcessInfo.processInfo.environment["UPTURN_LISTEN_DEBUG"] != nil
    /// The rate the models expect.
    public static let rate = 16_000
    /// Debian's US English model (pocketsphinx-en-us).
    public static let defaultModel = "/usr/share/pocketsphinx/model/en-us"
    /// The smallest score a phrase needs unless a pack sets one: none. Measured, the fillers
    /// alone kept every false command out (none in an hour of other speech), while any
    /// threshold on the score also cost real commands through the echo; a pack sets one for
    /// a room where ordinary talk still comes out as a command.
    public static let defaultThreshold = -Double.infinity
    /// The longest utterance heard as a possible command: 4 s of speech (a phrase takes
    /// about one). Longer talk is not a command; heard to its end, it would cost more and
    /// more and could be forced into one.
    static let longestUtterance = 4 * rate
    /// What a new utterance, started after a long one, hears again of the old one's end.
    static let carriedOver = 3 * rate / 2
    /// The decoder's settings, tuned on the corpus `Scripts/bench` makes: a small word
    /// insertion penalty and silence probability (fillers may be many short words), a
    /// language weight that favours the five commands over 200 fillers, and bounded beams
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

    public let phrases: [String]
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
    /// The utterance's audio (its last seconds), to hear it again against the fillers, and
    /// where its speech began in it.
    private var utterance: [Int16] = []
    private var speechStart = 0

    /// `model`: a pocketsphinx model folder as Debian lays it out (`en-us/` with `mdef`,
    /// `means`, ... beside `cmudict-en-us.dict`), or an acoustic model folder with a
    /// dictionary (`*.dict`) in it or beside it.
    public init(
        phrases: [String], thresholds: [String: Double] = [:], model: String = SpeechRecognizer.defaultModel,
        fillers: [String] = SpeechRecognizer.fillers
    ) throws(UpturnError) {
        upturn_ps_silence()
        let (acoustic, dictionary) = try Self.locate(model)
        let normalized = phrases.map(Self.normalize)
        self.phrases = normalized
        self.thresholds = Dictionary(normalized.map { ($0, thresholds[$0] ?? Self.defaultThreshold) }, uniquingKeysWith: { a, _ in a })
        // Only the words it can hear, from the model's dictionary (134 000 words in Debian's,
        // some 40 MB in the decoder): a small dictionary of its own, made for this decoder.
        let commandWords = Set(normalized.flatMap { $0.split(separator: " ").map(String.init) })
        let (entries, unknown) = try Self.pronunciations(of: commandWords.union(fillers), in: dictionary)
        let missing = commandWords.filter { unknown.contains($0) }
        guard missing.isEmpty else {
            throw UpturnError.data("the recognizer's dictionary does not know: \(missing.sorted().joined(separator: ", "))")
        }
        let small = FileManager.default.temporaryDirectory.path + "/upturn-\(getpid())-\(UUID().uuidString.prefix(8)).dict"
        guard FileManager.default.createFile(atPath: small, contents: Data(entries.utf8)) else {
            throw UpturnError.unavailable("cannot write the recognizer's dictionary to \(small)")
        }
        defer { try? FileManager.default.removeItem(atPath: small) }
        let arguments = ["-hmm", acoustic, "-dict", small, "-samprate", "16000"] + Self.settings
        try Self.probe(arguments, model: model)
        guard let decoder = Self.decoder(arguments + ["-logfn", "/dev/null"]) else {
            throw UpturnError.unavailable("\(model): pocketsphinx cannot load this model")
        }
        self.decoder = decoder
        guard !normalized.isEmpty else { return }
        let known = fillers.filter { ps_lookup_word(decoder, $0) != nil && !commandWords.contains($0) }
        let fillerRule = "<filler> = ( \(known.joined(separator: " | ")) );\n"
        let commands = "#JSGF V1.0;\ngrammar upturn;\npublic <utterance> = <filler>* <command> <filler>* | <filler>+ ;\n"
            + "<command> = ( \(normalized.joined(separator: " | ")) );\n" + fillerRule
        let ordinary = "#JSGF V1.0;\ngrammar ordinary;\npublic <utterance> = <filler>+ ;\n" + fillerRule
        guard ps_set_jsgf_string(decoder, "ordinary", ordinary) == 0, ps_set_jsgf_string(decoder, "commands", commands) == 0,
            ps_set_search(decoder, "commands") == 0
        else {
            ps_free(decoder)
            throw UpturnError.internalError("pocketsphinx refused the command grammar")
        }
    }

    deinit {
        ps_free(decoder)
    }

    static func normalize(_ phrase: String) -> String {
        phrase.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// The acoustic model folder and the dictionary of a model folder.
    private static func locate(_ model: String) throws(UpturnError) -> (acoustic: String, dictionary: String) {
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

    /// Words that are not commands: common English, and the words the player itself says, so
    /// that speech decodes as them rather than being forced into a command. Words that sound
    /// like part of a command ("up", "button", "paused", "still") are left out: measured,
    /// they took real commands ("upturn pause" heard as "button paused").
    public static let fillers: [String] = ["a", "about", "after", "again", "all", "also", "an", "and", "angle", "answered", "any", "are", "as", "ask", "at", "audio", "be", "because", "been", "beep", "before", "begin", "bell", "blood", "but", "by", "calm", "can", "check", "choice", "choices", "clear", "clots", "come", "comfortable", "complete", "condition", "continue", "could", "count", "day", "degrees", "did", "do", "doctor", "done", "duration", "en", "end", "english", "even", "exercise", "eye", "fallback", "first", "flac", "for", "from", "gentle", "get", "give", "go", "good", "had", "halfway", "has", "have", "he", "heart", "her", "high", "him", "his", "hold", "how", "i", "if", "in", "into", "is", "it", "its", "just", "know", "left", "level", "like", "list", "look", "make", "me", "minute", "minutes", "most", "my", "n", "never", "new", "no", "not", "now", "of", "on", "one", "only", "or", "other", "our", "out", "over", "pain", "people", "press", "pressure", "program", "progress", "push", "read", "ready", "relax", "release", "reminder", "reps", "rest", "resuming", "return", "safety", "said", "say", "second", "seconds", "see", "serve", "session", "sessions", "she", "slowly", "so", "some", "someone", "start", "take", "takes", "than", "that", "that's", "the", "their", "them", "then", "there", "these", "they", "think", "this", "three", "tick", "tilt", "time", "title", "to", "today", "transport", "two", "upright", "us", "use", "wait", "waiting", "want", "was", "way", "we", "welcome", "well", "were", "what", "when", "which", "who", "will", "with", "work", "would", "year", "you", "your"]

    /// The words of `phrases` a model's dictionary does not know (`upturn check`).
    public static func unknownWords(in phrases: [String], model: String = defaultModel) throws(UpturnError) -> [String] {
        let words = Set(phrases.flatMap { normalize($0).split(separator: " ").map(String.init) })
        return try pronunciations(of: words, in: locate(model).dictionary).unknown.sorted()
    }

    /// The dictionary's lines for `words` (alternative pronunciations, `word(2)`, included),
    /// and the words it does not have.
    static func pronunciations(of words: Set<String>, in dictionary: String) throws(UpturnError) -> (entries: String, unknown: Set<String>) {
        let bytes = try FileBytes.read(dictionary, limit: 64 << 20, what: "pronunciation dictionary")
        var entries = ""
        var found: Set<String> = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let space = line.firstIndex(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) else { continue }
            let head = line[line.startIndex..<space]
            let word = String(decoding: head.prefix { $0 != UInt8(ascii: "(") }, as: UTF8.self)
            guard words.contains(word) else { continue }
            found.insert(word)
            entries += String(decoding: line, as: UTF8.self) + "\n"
        }
        return (entries, words.subtracting(found))
    }

    /// Loads the model once in a child process first: pocketsphinx ends the whole process on
    /// a damaged file (a corrupt `mdef` ended `play` with exit 1 and no word). Its log names
    /// the file it stopped at; that line is the error. About the time of one model load.
    private static func probe(_ arguments: [String], model: String) throws(UpturnError) {
        let log = FileManager.default.temporaryDirectory.path + "/upturn-\(getpid())-\(UUID().uuidString.prefix(8)).log"
        defer { unlink(log) }
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
        let speech = ps_get_in_speech(decoder) != 0
        if speech && !wasSpeech { speechStart = utterance.count - samples.count }
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
            utterance = carried
            speechStart = 0
            ps_start_utt(decoder)
            inUtterance = true
            carried.withUnsafeBufferPointer { _ = ps_process_raw(decoder, $0.baseAddress, $0.count, 0, 0) }
            speechSamples = carried.count
            wasSpeech = ps_get_in_speech(decoder) != 0
            return []
        }
        guard wasSpeech && !speech else { return [] }
        return endUtterance()
    }

    /// The command phrase in a hypothesis's words, if any.
    private func phrase(in words: String) -> String? {
        let padded = " " + words + " "
        return phrases.first { padded.contains(" " + $0 + " ") }
    }

    /// Ends the utterance under way (the end of a file): what it held.
    public func finish() -> [Hypothesis] {
        guard inUtterance else { return [] }
        return endUtterance()
    }

    /// Decodes `audio` whole with a search: the words and the path's score.
    private func decodeWhole(_ audio: [Int16], search: String) -> (String?, Int32) {
        var score: Int32 = 0
        ps_set_search(decoder, search)
        ps_start_utt(decoder)
        audio.withUnsafeBufferPointer { _ = ps_process_raw(decoder, $0.baseAddress, $0.count, 0, 1) }
        ps_end_utt(decoder)
        let words = ps_get_hyp(decoder, &score).map { String(cString: $0) }
        return (words, score)
    }

    private func endUtterance() -> [Hypothesis] {
        ps_end_utt(decoder)
        inUtterance = false
        lastLook = nil
        sinceLook = 0
        guard let hyp = ps_get_hyp(decoder, nil) else { return [] }
        let words = String(cString: hyp)
        if Self.debug { StandardError.write("heard at \(Double(samplesFed) / Double(Self.rate)): ' \(words) '") }
        guard let phrase = phrase(in: words) else { return [] }
        // Its speech, from 0.3 s before it began (not the seconds of silence before that), and
        // at most its last 3 s (a phrase takes under 2): an utterance inside the player's
        // talk can be 5 s long, and hearing it all again twice took over 2 s there.
        let from = min(utterance.count, max(0, speechStart - Self.rate * 3 / 10, utterance.count - 3 * Self.rate))
        let hypothesis = Hypothesis(
            phrase: phrase, score: .nan, end: Double(samplesFed) / Double(Self.rate), accepted: true, unscored: Array(utterance[from...]))
        let threshold = thresholds[phrase] ?? Self.defaultThreshold
        guard threshold > -.infinity else { return [hypothesis] }
        var judged = scored(hypothesis)
        judged.accepted = judged.score >= threshold
        return [judged]
    }

    /// `hypothesis` with its score: its speech heard again, whole, once with the commands and
    /// once against ordinary words alone (the same way both times, so the scores compare):
    /// how much better does the command fit? Only between utterances (as `feed` leaves the
    /// decoder when it returns a hypothesis). Measured here: 35 to 60 ms for each hearing of a
    /// phrase's 1.5 to 2 s, which is why a phrase with no threshold is acted on before.
    public func scored(_ hypothesis: Hypothesis) -> Hypothesis {
        guard !hypothesis.unscored.isEmpty, !inUtterance else { return hypothesis }
        let audio = hypothesis.unscored
        let (again, rescored) = decodeWhole(audio, search: "commands")
        let (ordinary, ordinaryScore) = decodeWhole(audio, search: "ordinary")
        ps_set_search(decoder, "commands")
        let foundAgain = again.map { (" " + $0 + " ").contains(" " + hypothesis.phrase + " ") } ?? false
        // In the decoder's own log units per 10 ms frame of the utterance.
        let frames = Double(max(audio.count / 160, 1))
        let margin = !foundAgain ? -99 : ordinary == nil ? 99 : max(-99, min(99, Double(Int(rescored) - Int(ordinaryScore)) / frames))
        var result = hypothesis
        result.score = (margin * 10).rounded() / 10
        result.unscored = []
        return result
    }
}
