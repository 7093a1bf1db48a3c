/// Where an audio file of a pack lives: on disk, or embedded in the binary.
public enum AudioFileRef: Hashable, Sendable, CustomStringConvertible {
    case file(path: String)
    case embedded(path: String)

    public var description: String {
        switch self {
        case .file(let path): return path
        case .embedded(let path): return "(built-in) \(path)"
        }
    }
}

/// How espeak-ng speaks a pack's text.
public struct VoiceSettings: Hashable, Sendable {
    public var name: String
    /// Words per minute, 80 to 450.
    public var rate: Int
    /// Base pitch, 0 to 100 (50 is normal).
    public var pitch: Int
    /// Loudness, 0 to 200 (100 is normal).
    public var volume: Int

    public init(name: String = "en-us", rate: Int = 150, pitch: Int = 50, volume: Int = 100) {
        self.name = name
        self.rate = rate
        self.pitch = pitch
        self.volume = volume
    }
}

/// The audio a clip is made from: text in a voice, or an audio file.
public enum ClipSource: Hashable, Sendable {
    case speech(text: String, voice: VoiceSettings)
    /// A sound, played as it is (bell, tick).
    case audio(AudioFileRef)
    /// A recorded cue, level-matched to the pack's speech at the voice's volume.
    case recording(AudioFileRef, volume: Int)
}

