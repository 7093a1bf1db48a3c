import Foundation

/// Words' pronunciations from a voice model's dictionary, looked up in one pass for all the
/// words asked for (3.5 MB for Debian's English) and kept, with the words it does not have.
/// `prepare` reads the dictionary; `known` never does, so a command's path can ask it.
/// Used by one thread.
public final class Pronunciations {
    private let dictionary: String?
    private var found: [String: [[String]]] = [:]
    /// How many times the dictionary was read (tests: a command's path reads none).
    public private(set) var reads = 0

    /// Nothing is looked up when the model has no dictionary to read: every word is unknown.
    public init(model: String) {
        dictionary = try? SpeechRecognizer.locate(model).dictionary
    }

    /// Looks up in one pass every word of `words` not asked for before.
    public func prepare(_ words: [String]) {
        let missing = Set(words).subtracting(found.keys)
        guard !missing.isEmpty else { return }
        for word in missing { found[word] = [] }
        guard let dictionary else { return }
        reads += 1
        try? PronunciationDictionary.scan(dictionary) { word, _, phones in
            // A word is most often 15 bytes or fewer: a String that needs no allocation.
            let word = String(decoding: word, as: UTF8.self)
            guard missing.contains(word) else { return }
            let split = PronunciationDictionary.phones(phones).map { String(decoding: $0, as: UTF8.self) }
            if !split.isEmpty { found[word, default: []].append(split) }
        }
    }

    /// `word`'s pronunciations if it was prepared (empty when the dictionary does not have
    /// it); nil when it was not: never a read of the dictionary.
    public func known(_ word: String) -> [[String]]? { found[word] }
}

/// A pocketsphinx pronunciation dictionary's lines: "word PH PH", or "word(2) PH PH" for
/// another pronunciation of the word.
enum PronunciationDictionary {
    static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") }

    /// Each entry of the dictionary at `path`: its word (without a "(2)"), the whole line,
    /// and the rest of the line after the word (its phones, `phones` splits them). Read a
    /// line at a time (`FileBytes.forEachLine`), never whole.
    static func scan(
        _ path: String, _ body: (_ word: ArraySlice<UInt8>, _ line: ArraySlice<UInt8>, _ rest: ArraySlice<UInt8>) -> Void
    ) throws(UpturnError) {
        try FileBytes.forEachLine(path, limit: 64 << 20, what: "pronunciation dictionary") { line in
            guard let space = line.firstIndex(where: isSpace) else { return }
            body(line[line.startIndex..<space].prefix { $0 != UInt8(ascii: "(") }, line, line[space...])
        }
    }

    /// The phones of an entry's rest.
    static func phones(_ rest: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] { rest.split(whereSeparator: isSpace) }
}
