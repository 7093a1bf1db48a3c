import Foundation

/// Words' pronunciations from a voice model's dictionary, looked up when first asked for and
/// kept (with the words it does not have): one pass over the dictionary (3.5 MB for
/// Debian's English) for all the words not asked for before. Used by one thread.
public final class Pronunciations {
    private let dictionary: String?
    private var known: [String: [[String]]] = [:]

    /// Nothing is looked up when the model has no dictionary to read: every word is unknown.
    public init(model: String) {
        dictionary = try? SpeechRecognizer.locate(model).dictionary
    }

    /// Looks up in one pass every word of `words` not asked for before.
    public func prepare(_ words: [String]) {
        let missing = Set(words).subtracting(known.keys)
        guard !missing.isEmpty else { return }
        for word in missing { known[word] = [] }
        guard let dictionary, let bytes = try? FileBytes.read(dictionary, limit: 64 << 20, what: "pronunciation dictionary") else { return }
        let wanted = Set(missing.map { Array($0.utf8) })
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            // "word PH PH", or "word(2) PH PH" for another pronunciation.
            guard let end = line.firstIndex(where: { isSpace($0) || $0 == UInt8(ascii: "(") }) else { continue }
            let head = Array(line[line.startIndex..<end])
            guard wanted.contains(head), let space = line.firstIndex(where: isSpace) else { continue }
            let phones = line[space...].split(whereSeparator: isSpace).map { String(decoding: $0, as: UTF8.self) }
            if !phones.isEmpty { known[String(decoding: head, as: UTF8.self), default: []].append(phones) }
        }
    }

    /// `word`'s pronunciations (looked up now if it was not prepared); empty when unknown.
    public func of(_ word: String) -> [[String]] {
        if known[word] == nil { prepare([word]) }
        return known[word] ?? []
    }
}
