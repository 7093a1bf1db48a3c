/// What a cue key says: a text template spoken by the voice, or a recording.
public enum CueSource: Hashable, Sendable {
    case text(String)
    /// A recording, with the words it says (for `show`) when the pack gives them.
    case recording(AudioFileRef, text: String?)
}

/// A cue pack: the words, the voice and the sounds of a session.
public struct CuePack: Sendable {
    public var name: String
    public var language: String
    public var voice: VoiceSettings
    public var units: [String: String]
    public var cues: [String: CueSource]
    public var sounds: [String: AudioFileRef]
    /// Where the pack came from, for messages.
    public var origin: String
    /// Where the voice's name stands in the file, for `check`'s message about it.
    public var voiceLocation: SourceLocation?
    /// The spoken commands (`listen: {phrases, thresholds}`); nil: the English defaults for
    /// an English pack, none for another language.
    public var listen: VoiceCommands?
    /// Where each phrase stands in the file, for `check`'s message about unknown words.
    public var listenLocations: [String: SourceLocation] = [:]

    /// The commands a voice control hears with this pack; an error when its language has none.
    public func voiceCommands() throws(UpturnError) -> VoiceCommands {
        if let listen { return listen }
        guard language.lowercased().hasPrefix("en") else {
            throw UpturnError.unavailable(
                "\(origin): voice control: the pack's language '\(language)' has no phrases and Debian has no pocketsphinx model for it; set listen.phrases and give --voice-model DIR"
            )
        }
        return .english
    }

    public init(
        name: String, language: String, voice: VoiceSettings, units: [String: String], cues: [String: CueSource],
        sounds: [String: AudioFileRef], origin: String
    ) {
        self.name = name
        self.language = language
        self.voice = voice
        self.units = units
        self.cues = cues
        self.sounds = sounds
        self.origin = origin
    }

    /// This pack with every key it lacks taken from `fallback`.
    public func fallingBack(to fallback: CuePack) -> CuePack {
        var merged = self
        merged.cues.merge(fallback.cues) { mine, _ in mine }
        merged.sounds.merge(fallback.sounds) { mine, _ in mine }
        merged.units.merge(fallback.units) { mine, _ in mine }
        return merged
    }

    /// "2 minutes", "1 minute 30 seconds", "45 seconds", in the pack's words.
    public func spokenDuration(milliseconds ms: Int) -> String {
        let total = (ms + 500) / 1000
        let m = total / 60
        let s = total % 60
        var parts: [String] = []
        if m > 0 { parts.append("\(m) \(units[m == 1 ? "minute" : "minutes"] ?? "minutes")") }
        if s > 0 || m == 0 { parts.append("\(s) \(units[s == 1 ? "second" : "seconds"] ?? "seconds")") }
        return parts.joined(separator: " ")
    }
}
