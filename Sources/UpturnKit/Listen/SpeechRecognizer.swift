import CPocketSphinx
import Foundation

/// Spoken commands, recognized offline with pocketsphinx, in 16 kHz mono audio.
///
/// Two decoders hear the same audio. One knows only the command phrases (a JSGF grammar:
/// `upturn (pause | resume | next | back | stop)`); the other is a free phone loop, the best
/// any English speech can score. A grammar alone turns any speech into a command; here a
/// phrase counts only when its acoustic score per frame comes close to the phone loop's
/// (`rejection`): a real command fits the grammar about as well as it fits anything, other
/// speech does not.
public final class SpeechRecognizer {
    /// What an utterance was heard as.
    public struct Hypothesis: Sendable, Equatable {
        public var phrase: String
        /// How far the phrase's score per frame fell short of the phone loop's: 0 is as good
        /// as any speech could be; the phrase counts when it is under its threshold.
        public var distance: Double
        /// When the utterance ended, in seconds of audio from the start.
        public var end: Double
        /// Under its phrase's threshold: a command.
        public var accepted: Bool
    }

    /// The rate the models expect.
    public static let rate = 16_000
    /// Debian's US English model (pocketsphinx-en-us).
    public static let defaultModel = "/usr/share/pocketsphinx/model/en-us"

    public let phrases: [String]
    /// Per phrase, the largest distance still counted.
    public let thresholds: [String: Double]
    private let grammar: OpaquePointer
    private let phoneLoop: OpaquePointer
    private var inUtterance = false
    private var wasSpeech = false
    private var samplesFed = 0

    /// `model`: a pocketsphinx model folder (`en-us/` with `mdef`, `means`, ...), its
    /// dictionary and phone language model beside it as Debian lays them out, or given.
    public init(
        phrases: [String], thresholds: [String: Double] = [:], defaultThreshold: Double = SpeechRecognizer.defaultThreshold,
        model: String = SpeechRecognizer.defaultModel, fillers: [String] = SpeechRecognizer.fillers
    ) throws(UpturnError) {
        upturn_ps_silence()
        let folder = (model as NSString).deletingLastPathComponent
        let hmm = model + "/en-us"
        let acoustic = FileManager.default.fileExists(atPath: hmm + "/mdef") ? hmm : model
        guard FileManager.default.fileExists(atPath: acoustic + "/mdef") else {
            throw UpturnError.noInput("\(model): not a pocketsphinx model folder (no mdef); give --voice-model DIR")
        }
        let base = FileManager.default.fileExists(atPath: hmm + "/mdef") ? model : folder
        let dictionary = Self.first(in: base, ["cmudict-en-us.dict", "en-us.dict"]) ?? ""
        let phoneLM = Self.first(in: base, ["en-us-phone.lm.bin", "en-us-phone.lm.dmp"]) ?? ""
        guard !dictionary.isEmpty, !phoneLM.isEmpty else {
            throw UpturnError.noInput("\(model): no dictionary or phone language model beside the acoustic model")
        }
        let normalized = phrases.map { $0.lowercased().split(separator: " ").joined(separator: " ") }
        self.phrases = normalized
        self.thresholds = Dictionary(uniqueKeysWithValues: normalized.map { ($0, thresholds[$0] ?? defaultThreshold) })
        let extra = ProcessInfo.processInfo.environment["UPTURN_PS_ARGS"].map { $0.split(separator: " ").map(String.init) } ?? []
        let common = ["-hmm", acoustic, "-dict", dictionary, "-samprate", "16000", "-logfn", "/dev/null"] + extra
        guard let grammar = Self.decoder(common) else { throw UpturnError.unavailable("\(model): pocketsphinx cannot load this model") }
        self.grammar = grammar
        phoneLoop = grammar
        for phrase in normalized {
            for word in phrase.split(separator: " ") where ps_lookup_word(grammar, String(word)) == nil {
                ps_free(grammar)
                throw UpturnError.data("the phrase '\(phrase)' has a word the recognizer does not know: '\(word)'")
            }
        }
        let alternatives = normalized.map { $0 }.joined(separator: " | ")
        let known = fillers.filter { ps_lookup_word(grammar, $0) != nil }
        let jsgf = "#JSGF V1.0;\ngrammar upturn;\npublic <utterance> = <filler>* <command> <filler>* | <filler>+ ;\n<command> = ( \(alternatives) );\n<filler> = ( \(known.joined(separator: " | ")) );\n"
        guard ps_set_jsgf_string(grammar, "commands", jsgf) == 0, ps_set_search(grammar, "commands") == 0 else {
            ps_free(grammar)
            throw UpturnError.internalError("pocketsphinx refused the command grammar")
        }
    }

    deinit {
        ps_free(grammar)
    }

    /// Words that are not commands: common English, and the words the player itself says, so
    /// that speech decodes as them rather than being forced into a command.
    public static let fillers: [String] = ["a", "about", "after", "again", "all", "also", "an", "and", "angle", "answered", "any", "are", "as", "ask", "at", "audio", "be", "because", "been", "beep", "before", "begin", "bell", "blood", "but", "button", "by", "calm", "can", "check", "choice", "choices", "clear", "clots", "come", "comfortable", "complete", "condition", "continue", "could", "count", "day", "degrees", "did", "do", "doctor", "done", "duration", "en", "end", "english", "even", "exercise", "eye", "fallback", "first", "flac", "for", "from", "gentle", "get", "give", "go", "good", "had", "halfway", "has", "have", "he", "heart", "her", "high", "him", "his", "hold", "how", "i", "if", "in", "into", "is", "it", "its", "just", "know", "left", "level", "like", "list", "look", "make", "me", "minute", "minutes", "most", "my", "n", "never", "new", "no", "not", "now", "of", "on", "one", "only", "or", "other", "our", "out", "over", "pain", "paused", "people", "press", "pressure", "program", "progress", "push", "read", "ready", "relax", "release", "reminder", "reps", "rest", "resuming", "return", "safety", "said", "say", "second", "seconds", "see", "serve", "session", "sessions", "she", "slowly", "so", "some", "someone", "start", "still", "take", "takes", "than", "that", "that's", "the", "their", "them", "then", "there", "these", "they", "think", "this", "three", "tick", "tilt", "time", "title", "to", "today", "transport", "two", "up", "upright", "us", "use", "wait", "waiting", "want", "was", "way", "we", "welcome", "well", "were", "what", "when", "which", "who", "will", "with", "work", "would", "year", "you", "your"]

    /// The largest distance a phrase may have, unless a pack says otherwise (tuned on the
    /// corpus `Scripts/bench` makes).
    public static let defaultThreshold = 2.0

    /// The words a recognizer's dictionary does not know, of the phrases given.
    public static func unknownWords(in phrases: [String], model: String = defaultModel) throws(UpturnError) -> [String] {
        let recognizer = try SpeechRecognizer(phrases: [], model: model)
        return Set(phrases.flatMap { $0.lowercased().split(separator: " ").map(String.init) })
            .filter { ps_lookup_word(recognizer.grammar, $0) == nil }.sorted()
    }

    private static func first(in folder: String, _ names: [String]) -> String? {
        names.map { folder + "/" + $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }

    private static func decoder(_ arguments: [String]) -> OpaquePointer? {
        // cmd_ln keeps pointers to the strings: they live as long as the process.
        let argv = (["upturn"] + arguments).map { strdup($0) }
        var pointers: [UnsafeMutablePointer<CChar>?] = argv
        guard let config = pointers.withUnsafeMutableBufferPointer({ upturn_ps_config(Int32($0.count - 1), $0.baseAddress! + 1) })
        else { return nil }
        return ps_init(config)
    }

    /// Feeds audio; returns the commands whose utterance ended in it.
    public func feed(_ samples: UnsafeBufferPointer<Int16>) -> [Hypothesis] {
        guard let base = samples.baseAddress, !samples.isEmpty else { return [] }
        if !inUtterance {
            ps_start_utt(grammar)
            inUtterance = true
            wasSpeech = false
        }
        ps_process_raw(grammar, base, samples.count, 0, 0)
        samplesFed += samples.count
        let speech = ps_get_in_speech(grammar) != 0
        defer { wasSpeech = speech }
        guard wasSpeech && !speech else { return [] }
        return endUtterance()
    }

    /// Ends the utterance under way (the end of a file): what it held.
    public func finish() -> [Hypothesis] {
        guard inUtterance else { return [] }
        return endUtterance()
    }

    /// The sum of the acoustic scores of the best path's segments, and the frames they span
    /// without silences and fillers.
    private static func acousticScore(_ decoder: OpaquePointer) -> (score: Int, frames: Int) {
        var total = 0, frames = 0
        var segment = ps_seg_iter(decoder)
        while let current = segment {
            var acoustic: Int32 = 0, language: Int32 = 0, backoff: Int32 = 0
            _ = ps_seg_prob(current, &acoustic, &language, &backoff)
            total += Int(acoustic)
            let word = String(cString: ps_seg_word(current))
            if !word.hasPrefix("<") && !word.hasPrefix("[") && word != "SIL" && word != "+NSN+" {
                var start: Int32 = 0, end: Int32 = 0
                ps_seg_frames(current, &start, &end)
                frames += Int(end - start + 1)
            }
            segment = ps_seg_next(current)
        }
        return (total, frames)
    }

    private func endUtterance() -> [Hypothesis] {
        ps_end_utt(grammar)
        inUtterance = false
        var score: Int32 = 0
        guard let hyp = ps_get_hyp(grammar, &score) else { return [] }
        let words = String(cString: hyp)
        if ProcessInfo.processInfo.environment["UPTURN_LISTEN_DEBUG"] != nil { StandardError.write("debug: '\(words)'") }
        let padded = " " + words + " "
        guard let phrase = phrases.first(where: { padded.contains(" " + $0 + " ") }) else { return [] }
        return [Hypothesis(phrase: phrase, distance: 0, end: Double(samplesFed) / Double(Self.rate), accepted: true)]
    }
}
