import CEspeakNG
import Foundation
import Synchronization

/// Speech from libespeak-ng, in synchronous mode: initialized once in this process (the
/// phoneme data loaded), each utterance made in a child forked from it (see `synthesize`).
///
/// espeak-ng keeps global state and is not thread-safe, so every call goes through one
/// process-wide lock. It is initialized with `espeak_ng_Initialize`, which reports failure
/// instead of exiting the process as `espeak_Initialize` does.
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

    /// Speaks `text` in a child process forked from this one, whose espeak-ng was initialized
    /// and given its voice but never spoke: espeak-ng carries state between utterances that
    /// no call resets, so each prompt starts from the same state and comes out the same
    /// whatever was said before it, from any cache state (issue 18). Setting the voice is
    /// done here, once per change (it costs some 5 ms, and leaks a little each time). The C
    /// side is `upturn_espeak_spawn`.
    public func synthesize(_ text: String, voice: VoiceSettings) throws(UpturnError) -> [Int16] {
        try synthesizeAll([text], voice: voice)[0]
    }

    /// Children speaking at once: one a core, two at most (a Pi has four, and the player's
    /// own threads need one).
    static let sideBySide = max(1, min(2, ProcessInfo.processInfo.activeProcessorCount))

    /// Several texts in one voice, each in a child of its own, `sideBySide` at once: the fork
    /// costs some 2 ms a prompt, which two cores make up for in a batch.
    public func synthesizeAll(_ texts: [String], voice: VoiceSettings) throws(UpturnError) -> [[Int16]] {
        // espeak-ng reads a C string: a NUL would end the text there ("a\u{0}b" said "a"),
        // and other control characters are no words either.
        let spoken = texts.map { text in
            String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
        }
        let result: Result<[[Int16]], UpturnError> = Self.state.withLock { state in
            // The voice is set here, only when it changes (each set leaks a little memory).
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

            var made: [[Int16]] = []
            var running: [(pid: pid_t, fd: Int32)] = []
            var failure: UpturnError?
            var next = 0
            while made.count + running.count < spoken.count || !running.isEmpty {
                // Start children up to the limit (none more once one failed)...
                while failure == nil, running.count < Self.sideBySide, next < spoken.count {
                    var readEnd: Int32 = -1
                    let pid = spoken[next].withCString { upturn_espeak_spawn($0, &readEnd) }
                    guard pid > 0 else {
                        failure = UpturnError.system(.unavailable, "espeak-ng: cannot start a child to speak in", Errno.current)
                        break
                    }
                    running.append((pid, readEnd))
                    next += 1
                }
                guard !running.isEmpty else { break }
                // ...and take the oldest one's speech, whole (the next one speaks meanwhile).
                let child = running.removeFirst()
                let samples = Self.readSamples(child.fd)
                SystemCall.close(child.fd)
                var status: Int32 = 0
                while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
                let exited = status & 0x7F == 0
                guard exited && (status >> 8) & 0xFF == 0 else {
                    let why = exited ? "status \((status >> 8) & 0xFF)" : "signal \(status & 0x7F)"
                    let text = texts[made.count]
                    failure = failure ?? UpturnError.internalError("espeak-ng could not speak \"\(text.prefix(60))\" (\(why))")
                    made.append([])
                    continue
                }
                made.append(samples)
            }
            if let failure { return .failure(failure) }
            return .success(made)
        }
        return try result.get()
    }

    /// Every sample the child wrote, to the end of the pipe.
    private static func readSamples(_ fd: Int32) -> [Int16] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while let n = try? SystemCall.read(fd, into: &chunk), n > 0 { bytes += chunk[0..<n] }
        return bytes.withUnsafeBytes { raw in Array(raw.bindMemory(to: Int16.self).prefix(bytes.count / 2)) }
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
