import CEspeakNG
import Foundation
import Synchronization

/// Speech from libespeak-ng, in-process, in synchronous mode.
///
/// espeak-ng keeps global state and is not thread-safe, so every call goes through one
/// process-wide lock. It is initialized with `espeak_ng_Initialize`, which reports failure
/// instead of exiting the process as `espeak_Initialize` does. The voice is set only when it
/// changes: each `espeak_ng_SetVoiceByName` call leaks a little memory.
public final class EspeakSynthesizer: Synthesizer {
    public let nativeRate: Int
    public let engineVersion: String

    private static let state = Mutex(EngineState())

    struct EngineState: ~Copyable {
        var initialized = false
        var rate = 0
        var voice: VoiceSettings?
    }

    /// The library version without initializing it ("espeak-ng 1.51").
    public static var version: String {
        guard let info = espeak_Info(nil) else { return "espeak-ng" }
        return "espeak-ng " + String(cString: info)
    }

    public init() throws(UpturnError) {
        let result: Result<Int, UpturnError> = Self.state.withLock { state in
            if state.initialized { return .success(state.rate) }
            espeak_ng_InitializePath(nil)
            var context: espeak_ng_ERROR_CONTEXT? = nil
            let status = espeak_ng_Initialize(&context)
            if status != ENS_OK {
                espeak_ng_ClearErrorContext(&context)
                return .failure(
                    UpturnError.unavailable("cannot start espeak-ng: \(Self.message(status)); is espeak-ng-data installed? (Scripts/setup)"))
            }
            let output = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, nil)
            if output != ENS_OK {
                return .failure(UpturnError.unavailable("cannot start espeak-ng output: \(Self.message(output))"))
            }
            espeak_SetSynthCallback(synthCallback)
            state.initialized = true
            state.rate = Int(espeak_ng_GetSampleRate())
            return .success(state.rate)
        }
        switch result {
        case .success(let rate): nativeRate = rate
        case .failure(let error): throw error
        }
        engineVersion = Self.version
    }

    static func message(_ status: espeak_ng_STATUS) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        espeak_ng_GetStatusCodeMessage(status, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func synthesize(_ text: String, voice: VoiceSettings) throws(UpturnError) -> [Int16] {
        let result: Result<[Int16], UpturnError> = Self.state.withLock { state in
            if state.voice?.name != voice.name {
                var status = espeak_ng_SetVoiceByName(voice.name)
                if status != ENS_OK && Self.listVoices(initialized: true).contains(where: { $0.language == voice.name }) {
                    // A language ("fr-fr") rather than a voice file's name: select by language.
                    // Only an exact language: by properties espeak-ng would take any near one.
                    status = voice.name.withCString { language in
                        var properties = espeak_VOICE()
                        properties.languages = language
                        return espeak_ng_SetVoiceByProperties(&properties)
                    }
                }
                if status != ENS_OK {
                    state.voice = nil
                    return .failure(Self.voiceError(voice.name, installed: Self.listVoices(initialized: true)))
                }
                state.voice = VoiceSettings(name: voice.name, rate: -1, pitch: -1, volume: -1)
            }
            if state.voice?.rate != voice.rate { espeak_ng_SetParameter(espeakRATE, Int32(voice.rate), 0) }
            if state.voice?.pitch != voice.pitch { espeak_ng_SetParameter(espeakPITCH, Int32(voice.pitch), 0) }
            if state.voice?.volume != voice.volume { espeak_ng_SetParameter(espeakVOLUME, Int32(voice.volume), 0) }
            state.voice = voice

            let box = SampleBox()
            let unmanaged = Unmanaged.passRetained(box)
            defer { unmanaged.release() }
            // espeak-ng reads a C string: a NUL would end the text there ("a\u{0}b" said "a"),
            // and other control characters are no words either.
            let spoken = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
            let status = spoken.withCString { cText in
                espeak_ng_Synthesize(
                    cText, strlen(cText) + 1, 0, POS_CHARACTER, 0, UInt32(espeakCHARS_UTF8), nil,
                    unmanaged.toOpaque())
            }
            if status != ENS_OK {
                return .failure(UpturnError.internalError("espeak-ng could not speak \"\(text.prefix(60))\": \(Self.message(status))"))
            }
            return .success(box.samples)
        }
        return try result.get()
    }

    /// "no espeak-ng voice 'xx'; close matches: ..." with the installed voices nearest the name.
    static func voiceError(_ name: String, installed: [VoiceInfo]) -> UpturnError {
        UpturnError.unavailable(unknownVoiceMessage(name, installed: installed))
    }

    /// True when `name` is a voice or language espeak-ng has (or the list is unknown).
    public static func knows(_ name: String, installed: [VoiceInfo]) -> Bool {
        installed.isEmpty || installed.contains { $0.language == name || $0.name == name }
    }

    /// "no espeak-ng voice 'xx'; close matches: ..." with the installed voices nearest the name.
    public static func unknownVoiceMessage(_ name: String, installed: [VoiceInfo]) -> String {
        let names = Set(installed.flatMap { [$0.language, $0.name] }).sorted()
        var matches = Spelling.closeMatches(to: name, in: names, limit: 6)
        if matches.isEmpty, let prefix = name.split(separator: "-").first {
            matches = names.filter { $0.hasPrefix(prefix) }.prefix(6).map { $0 }
        }
        let hint = matches.isEmpty ? "; `upturn voices` lists them" : "; close matches: " + matches.joined(separator: ", ")
        return "no espeak-ng voice '\(name.prefix(80))'\(hint)"
    }

    public struct VoiceInfo: Sendable {
        public var language: String
        public var name: String
        public var identifier: String
    }

    /// Every installed voice. The corresponding C function is `espeak_ListVoices`.
    public static func installedVoices() -> [VoiceInfo] {
        state.withLock { state -> [VoiceInfo] in listVoices(initialized: state.initialized) }
    }

    /// Call only with the lock held.
    private static func listVoices(initialized: Bool) -> [VoiceInfo] {
        if !initialized { espeak_ng_InitializePath(nil) }
        guard let list = espeak_ListVoices(nil) else { return [] }
        var voices: [VoiceInfo] = []
        var i = 0
        while let voice = list[i] {
            i += 1
            let v = voice.pointee
            let name = v.name.map { String(cString: $0) } ?? ""
            let identifier = v.identifier.map { String(cString: $0) } ?? ""
            // `languages` is a list of (priority byte, name, NUL), ended by a zero byte.
            var language = ""
            if let languages = v.languages, languages.pointee != 0 {
                language = String(cString: languages + 1)
            }
            voices.append(VoiceInfo(language: language, name: name, identifier: identifier))
        }
        return voices
    }
}

/// Where the synthesis callback puts samples; passed through espeak's `user_data`.
private final class SampleBox {
    var samples: [Int16] = []
}

/// The synthesis callback. It cannot capture: its context comes through the event's user_data.
/// espeak-ng may call it with no samples, or a null buffer, at the end of an utterance.
private let synthCallback: @convention(c) (UnsafeMutablePointer<Int16>?, Int32, UnsafeMutablePointer<espeak_EVENT>?) -> Int32 = {
    wav, count, events in
    guard let events, let user = events.pointee.user_data else { return 0 }
    let box = Unmanaged<SampleBox>.fromOpaque(user).takeUnretainedValue()
    if let wav, count > 0 {
        box.samples.append(contentsOf: UnsafeBufferPointer(start: wav, count: Int(count)))
    }
    return 0
}
