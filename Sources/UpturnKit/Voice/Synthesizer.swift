/// Speech synthesis: text in, mono 16-bit samples out at the engine's own rate.
public protocol Synthesizer: AnyObject {
    /// Engine and version, part of every cache key ("espeak-ng 1.51").
    var engineVersion: String { get }
    var nativeRate: Int { get }
    func synthesize(_ text: String, voice: VoiceSettings) throws(UpturnError) -> [Int16]
}
