import Foundation
import UpturnSounds

/// Every clip a session needs, at the session rate: synthesized or decoded once, kept in the
/// prompt cache on disk, and read back only when the renderer reaches it, so memory stays
/// flat however long the session is.
public final class ClipLibrary: ClipMeasuring {
    public let rate: Int
    public let cache: PromptCache?
    /// How many clips were synthesized or decoded (not found in the cache) by this library.
    public private(set) var made = 0

    private var synthesizer: (any Synthesizer)?
    private let makeSynthesizer: () throws(UpturnError) -> any Synthesizer
    private var lengths: [ClipSource: Int] = [:]
    /// Clips kept in memory: all of them without a cache, otherwise a few recent ones.
    private var resident: [ClipSource: [Int16]] = [:]
    private var residentOrder: [ClipSource] = []
    private var residentFrames = 0
    /// With a cache, keep at most this many frames in memory (about 1 MB): memory stays flat.
    private let residentLimit = 512 * 1024

    /// Bumped when the way clips are shaped changes, so old cache files are not reused.
    static let shapingVersion = "shape-2"

    public init(
        rate: Int, cache: PromptCache?,
        synthesizer: @escaping () throws(UpturnError) -> any Synthesizer = { () throws(UpturnError) in try EspeakSynthesizer() }
    ) {
        self.rate = rate
        self.cache = cache
        self.makeSynthesizer = synthesizer
    }

    public func frames(of source: ClipSource) throws(UpturnError) -> Int {
        if let known = lengths[source] { return known }
        let key = cacheKey(source)
        if let cache, let length = cache.length(for: key), length <= plausibleFrames(source) {
            lengths[source] = length
            return length
        }
        let samples = try make(source)
        lengths[source] = samples.count
        if let cache { cache.store(samples, for: key) }
        keepResident(source, samples)
        return samples.count
    }

    /// The clip's samples, from memory or the cache, made anew if the cache lost them.
    public func samples(of source: ClipSource) throws(UpturnError) -> [Int16] {
        if let samples = resident[source] { return samples }
        let key = cacheKey(source)
        if let cache, let samples = cache.samples(for: key), samples.count == (lengths[source] ?? samples.count) {
            lengths[source] = samples.count
            keepResident(source, samples)
            return samples
        }
        let made = try make(source)
        // The cache keeps the clip as made, never cut: a length laid out from elsewhere is
        // this timeline's alone. This timeline keeps to its length exactly.
        cache?.store(made, for: key)
        guard let length = lengths[source], length != made.count else {
            lengths[source] = made.count
            keepResident(source, made)
            return made
        }
        let fitted = Array(made.prefix(length)) + [Int16](repeating: 0, count: max(0, length - made.count))
        keepResident(source, fitted)
        return fitted
    }

    /// Decodes an audio file as a session would, and says why it cannot be a cue or a sound
    /// (not audio, truncated, too long, silent), naming it. Nothing is resampled or kept.
    public static func checkAudio(file path: String) throws(UpturnError) {
        let decoded = try AudioDecoder.decode(file: path)
        guard !ClipShaping.shape(decoded.samples, rate: decoded.rate).isEmpty else {
            throw UpturnError.data("\(path): the audio is silent")
        }
    }

    /// The longest a clip of this source could be: a cached length past it is damage.
    func plausibleFrames(_ source: ClipSource) -> Int {
        switch source {
        // Half a second a byte of text is slower than espeak-ng's slowest rate.
        case .speech(let text, _): return (text.utf8.count + 20) * rate / 2
        case .audio, .recording: return AudioDecoder.maxSeconds * rate
        }
    }

    private func keepResident(_ source: ClipSource, _ samples: [Int16]) {
        if let old = resident[source] {
            residentFrames -= old.count
            residentOrder.removeAll { $0 == source }
        }
        residentOrder.append(source)
        resident[source] = samples
        residentFrames += samples.count
        while cache != nil && residentFrames > residentLimit && residentOrder.count > 1 {
            let oldest = residentOrder.removeFirst()
            residentFrames -= resident.removeValue(forKey: oldest)?.count ?? 0
        }
    }

    func cacheKey(_ source: ClipSource) -> String {
        switch source {
        case .speech(let text, let voice):
            let engine = synthesizer?.engineVersion ?? EspeakSynthesizer.version
            return "speech|\(engine)|\(voice.name)|\(voice.rate)|\(voice.pitch)|\(voice.volume)|\(rate)|\(Self.shapingVersion)|\(text)"
        case .audio(.embedded(let path)):
            var hash = StableHash()
            hash.combine(ShippedSounds.file(path) ?? [])
            return "embedded|\(path)|\(hash.hex)|\(rate)|\(Self.shapingVersion)"
        case .audio(.file(let path)):
            return "file|\(path)|\(Self.stamp(path))|\(rate)|\(Self.shapingVersion)"
        case .recording(let ref, let volume):
            let file: String
            switch ref {
            case .file(let path): file = "\(path)|\(Self.stamp(path))"
            case .embedded(let path):
                var hash = StableHash()
                hash.combine(ShippedSounds.file(path) ?? [])
                file = "\(path)|\(hash.hex)"
            }
            return "recording|\(file)|\(volume)|\(rate)|\(Self.shapingVersion)"
        }
    }

    /// Size and modification time: a changed recording is decoded again.
    static func stamp(_ path: String) -> String {
        guard let info = try? SystemCall.fileStatus(path) else { return "missing" }
        return "\(info.st_size)|\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    /// Makes, side by side, the speech among `sources` that is neither known here nor in the
    /// cache (a session's prompts, laid out first with estimated lengths): the engine's
    /// children speak two at a time. What cannot be made here is made (and its error said)
    /// when it is measured.
    /// `prefetch` of what `layout` asks for, laid out with estimated lengths (its errors are
    /// left for the real layout to say).
    public func prefetch(layout: (any ClipMeasuring) throws(UpturnError) -> Void) {
        let recorder = ClipSourceRecorder(rate: rate)
        try? layout(recorder)
        prefetch(recorder.sources)
    }

    public func prefetch(_ sources: [ClipSource]) {
        var wanted: [VoiceSettings: [String]] = [:]
        var seen: Set<ClipSource> = []
        for source in sources where lengths[source] == nil && seen.insert(source).inserted {
            guard case .speech(let text, let voice) = source, cache?.length(for: cacheKey(source)) == nil else { continue }
            wanted[voice, default: []].append(text)
        }
        for (voice, texts) in wanted where texts.count > 1 {
            guard let engine = try? engine(), let raws = try? engine.synthesizeAll(texts, voice: voice) else { continue }
            for (text, raw) in zip(texts, raws) {
                let source = ClipSource.speech(text: text, voice: voice)
                guard let shaped = try? shape(speech: raw, from: engine, text: text) else { continue }
                made += 1
                lengths[source] = shaped.count
                cache?.store(shaped, for: cacheKey(source))
                keepResident(source, shaped)
            }
        }
    }

    private func engine() throws(UpturnError) -> any Synthesizer {
        if let synthesizer { return synthesizer }
        let fresh = try makeSynthesizer()
        synthesizer = fresh
        return fresh
    }

    private func shape(speech raw: [Int16], from engine: any Synthesizer, text: String) throws(UpturnError) -> [Int16] {
        try shape(DecodedAudio(samples: ClipShaping.toFloat(raw), rate: engine.nativeRate), name: "\"\(text.prefix(60))\"", matchVolume: nil)
    }

    private func make(_ source: ClipSource) throws(UpturnError) -> [Int16] {
        made += 1
        let decoded: DecodedAudio
        let name: String
        var matchVolume: Int?
        switch source {
        case .speech(let text, let voice):
            let engine = try engine()
            return try shape(speech: try engine.synthesize(text, voice: voice), from: engine, text: text)
        case .audio(.embedded(let path)):
            guard let bytes = ShippedSounds.file(path) else { throw UpturnError.internalError("no built-in sound \(path)") }
            decoded = try AudioDecoder.decode(bytes, name: path)
            name = path
        case .audio(.file(let path)), .recording(.file(let path), _):
            decoded = try AudioDecoder.decode(file: path)
            name = path
        case .recording(.embedded(let path), _):
            guard let bytes = ShippedSounds.file(path) else { throw UpturnError.internalError("no built-in sound \(path)") }
            decoded = try AudioDecoder.decode(bytes, name: path)
            name = path
        }
        if case .recording(_, let volume) = source { matchVolume = volume }
        return try shape(decoded, name: name, matchVolume: matchVolume)
    }

    /// Resampled to the session rate, level-matched (recordings), trimmed and faded.
    private func shape(_ decoded: DecodedAudio, name: String, matchVolume: Int?) throws(UpturnError) -> [Int16] {
        var resampled = try Resampler.resample(decoded.samples, from: decoded.rate, to: rate)
        if let matchVolume {
            resampled = ClipShaping.levelMatched(resampled, rate: rate, target: ClipShaping.speechLevel * Float(matchVolume) / 100)
        }
        let shaped = ClipShaping.shape(resampled, rate: rate)
        guard !shaped.isEmpty else { throw UpturnError.data("\(name): the audio is silent") }
        return shaped
    }
}
