/// Tells the timeline compiler how long each clip is, in frames at the session rate.
public protocol ClipMeasuring {
    func frames(of source: ClipSource) throws(UpturnError) -> Int
}

/// Lengths guessed from the words alone, for checks that must not synthesize anything
/// (`upturn check`) and for tests of timing rules. Real renders measure real clips.
public struct EstimatedClipLengths: ClipMeasuring {
    public var rate: Int
    public init(rate: Int) { self.rate = rate }

    public func frames(of source: ClipSource) throws(UpturnError) -> Int {
        switch source {
        case .speech(let text, let voice):
            // About six characters a word, plus a little for the voice to start and stop.
            let charactersPerSecond = Double(max(80, voice.rate)) * 6 / 60
            let seconds = 0.15 + Double(text.count) / charactersPerSecond
            return Int(seconds * Double(rate))
        case .audio, .recording:
            return rate
        }
    }
}

/// Estimated lengths that keep every clip asked for: a first, cheap layout whose clips can
/// then be made side by side (`ClipLibrary.prefetch`) before the real one measures them.
public final class ClipSourceRecorder: ClipMeasuring {
    public private(set) var sources: [ClipSource] = []
    private let estimate: EstimatedClipLengths

    public init(rate: Int) { estimate = EstimatedClipLengths(rate: rate) }

    public func frames(of source: ClipSource) throws(UpturnError) -> Int {
        sources.append(source)
        return try estimate.frames(of: source)
    }
}
