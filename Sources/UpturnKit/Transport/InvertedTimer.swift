/// How long the person has been tilted without coming upright, as it is lived: on the
/// wall clock (a pause or thirty presses of `back` keep them hanging) and in session frames
/// (an unpaced device plays faster than the clock), whichever is longer. The compile-time
/// cap holds a plan as written; this holds the session as played.
struct InvertedTimer {
    /// The longest a stretch may last before the player goes to the closing.
    let capSeconds: Double
    private let rate: Double
    /// The stretch under way: when it began on the wall clock, and frames written in it.
    private var startedAt: Double?
    private var stretchFrames = 0
    /// Stretches already over, as lived.
    private var finishedSeconds = 0.0

    init(capSeconds: Double, rate: Int) {
        self.capSeconds = capSeconds
        self.rate = Double(rate)
    }

    /// The stretch under way, in seconds.
    func stretch(at now: Double) -> Double {
        guard let startedAt else { return 0 }
        return max(now - startedAt, Double(stretchFrames) / rate)
    }

    /// Every stretch so far, as lived: for the history.
    func totalSeconds(at now: Double) -> Double { finishedSeconds + stretch(at: now) }

    /// True when the stretch under way has run over the cap.
    func isOver(at now: Double) -> Bool { stretch(at: now) > capSeconds }

    /// `frames` of the session were written at a place where the person is (`tilted`) or is
    /// not tilted: a stretch begins, grows, or ends.
    mutating func wrote(_ frames: Int, tilted: Bool, at now: Double) {
        guard tilted else {
            finishedSeconds += stretch(at: now)
            startedAt = nil
            stretchFrames = 0
            return
        }
        if startedAt == nil { startedAt = now }
        stretchFrames += frames
    }
}
