/// Speech synthesis: text in, mono 16-bit samples out at the engine's own rate.
public protocol Synthesizer: AnyObject {
    /// Engine and version, part of every cache key ("espeak-ng 1.51").
    var engineVersion: String { get }
    var nativeRate: Int { get }
    func synthesize(_ text: String, voice: VoiceSettings) throws(UpturnError) -> [Int16]
}

extension Synthesizer {
    /// Several texts in one voice, in order. An engine that can make them side by side does
    /// (espeak-ng: a child process each, two at a time); the default makes them one by one.
    public func synthesizeAll(_ texts: [String], voice: VoiceSettings) throws(UpturnError) -> [[Int16]] {
        var all: [[Int16]] = []
        for text in texts { all.append(try synthesize(text, voice: voice)) }
        return all
    }
}
