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
