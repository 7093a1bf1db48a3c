/// The transport's decisions, pure: a command, the frame being heard and the time in; what
/// the player must do out. Pause, resume, skip, back (twice goes a step further), stop (the
/// closing when tilted), the check-ins (in a hold, and while paused tilted), the inverted-time
/// cap, a command held until "Slowly return upright" has been said: all of it here, tested
/// without audio, threads or real time. `Player` keeps only the I/O: the renderers, the
/// sink, a lost device's retries, the status.
struct TransportMachine {
    /// What the player must do, in order.
    enum Action: Equatable {
        /// Silence at once: drop what the device holds, the block not yet written, and the
        /// interjection playing.
        case cut
        /// The main timeline goes on from this frame.
        case seek(Int)
        /// Say a cue over the session (at `gain` of the session's).
        case interject(Cue, gain: Float)
        /// Cut, and play the closing segment ("Slowly return upright").
        case closing
        /// The session ends.
        case end(Player.Outcome)
        case log(String)
        /// The status changed: publish it now.
        case status
    }

    /// The interjections a player may say.
    enum Cue: Hashable, CaseIterable {
        case paused, resuming, audioBack, answered, checkIn
    }

    let timeline: Timeline
    /// The cues this player has (a cue it lacks is not said: `serve`'s announcements have none).
    let cues: Set<Cue>
    /// How long the paused check-in's question takes to say, in seconds.
    let checkInQuestionSeconds: Double
    let pausedCheckInSeconds: Double
    let checkInAnswerSeconds: Double
    /// The plan's cap, for what is said of it (the timer's has room added).
    let planInvertedSeconds: Double?

    private(set) var paused = false
    private(set) var pauseAfterInterjection = false
    private(set) var interjecting = false
    private(set) var inClosing = false
    /// Skips and backs that came while "Slowly return upright" was being said: applied when
    /// the main timeline has been heard up to `heldUntil`, so the cue is never cut.
    private var held: [ControlCommand] = []
    private var heldUntil = 0
    private let uprightCues: [TimelineEvent]
    /// Paused while tilted, alone: since when, and by when the question must be answered.
    private var pausedTiltedSince: Double?
    private var pausedAnswerBy: Double?
    private var pausedCheckInMissed = false
    private var lastBack = -100.0
    private var capReached = false
    private(set) var checkIns: CheckInWatchdog
    private(set) var invertedTimer: InvertedTimer

    init(
        timeline: Timeline, cues: Set<Cue>, checkInQuestionSeconds: Double = 0, pausedCheckInSeconds: Double = 60,
        checkInAnswerSeconds: Double = 20, maxInvertedSeconds: Double? = nil, planInvertedSeconds: Double? = nil
    ) {
        self.timeline = timeline
        self.cues = cues
        self.checkInQuestionSeconds = checkInQuestionSeconds
        self.pausedCheckInSeconds = pausedCheckInSeconds
        self.checkInAnswerSeconds = checkInAnswerSeconds
        self.planInvertedSeconds = planInvertedSeconds
        uprightCues = timeline.uprightCues
        checkIns = CheckInWatchdog(timeline: timeline, answerSeconds: checkInAnswerSeconds)
        invertedTimer = InvertedTimer(capSeconds: maxInvertedSeconds ?? .infinity, rate: timeline.rate)
    }

    var isPaused: Bool { paused || pauseAfterInterjection }

    /// The main timeline is what plays (no interjection, no closing, not paused).
    var mainPlays: Bool { !interjecting && !inClosing && !paused }

    /// Commands held during the upright cue, due now that `heard` is past it. `heard` is
    /// asked for only when one is held (it costs the player a call to the device).
    mutating func takeHeld(heard: @autoclosure () -> Int) -> [ControlCommand] {
        guard !held.isEmpty, !inClosing, mainPlays, heard() >= heldUntil else { return [] }
        defer { held = [] }
        return held
    }

    /// A control command, with the main timeline's frame being heard now.
    mutating func apply(_ command: ControlCommand, heard: Int, now: Double) -> [Action] {
        if inClosing {
            // During the closing segment only a second stop counts: it ends at once.
            return command == .stop ? [.end(closingOutcome)] : []
        }
        if (checkIns.isWaiting || pausedAnswerBy != nil) && command != .stop {
            // Any press answers a check-in; it does not pause, resume or skip as well.
            checkIns.answer()
            if pausedAnswerBy != nil {
                pausedAnswerBy = nil
                pausedTiltedSince = now
            }
            return [.log("check-in answered")] + interject(.answered, gain: 0.6) + [.status]
        }
        switch command {
        case .toggle:
            if !paused && !interjecting && timeline.step(at: heard)?.kind == .wait { return apply(.skip, heard: heard, now: now) }
            return apply(isPaused ? .resume : .pause, heard: heard, now: now)
        case .pause:
            guard !isPaused else { return [] }
            var actions = cut() + [.seek(cutCueStart(heard))] + interject(.paused, gain: 0.6)
            pauseAfterInterjection = interjecting
            paused = !interjecting
            actions.append(.status)
            return actions
        case .resume:
            guard isPaused else { return [] }
            let actions = cut()
            unpause()
            return actions + interject(.resuming)
        case .skip:
            if let actions = holdDuringUprightCue(command, at: heard) { return actions }
            var next = timeline.steps.first { $0.start > heard }?.start ?? timeline.frames
            // From a tilted step, never past the cue that brings the person upright.
            if timeline.isTilted(at: heard), let upright = uprightCues.first(where: { $0.end > heard }), next > upright.frame {
                next = upright.frame
            }
            return jump(to: next)
        case .back:
            if let actions = holdDuringUprightCue(command, at: heard) { return actions }
            guard let step = timeline.step(at: heard), let index = timeline.steps.firstIndex(of: step) else { return [] }
            var target = step.start
            if now - lastBack < 3, index > 0, heard - step.start < timeline.rate * 3 {
                target = timeline.steps[index - 1].start
            }
            lastBack = now
            return jump(to: target)
        case .stop:
            guard timeline.isTilted(at: heard) else { return cut() + [.end(.stopped)] }
            return goToClosing()
        }
    }

    /// Time passes (every block, and every wait): the cap, and the check-in while paused.
    /// `heard` is asked for only while paused with a check-in to ask.
    mutating func tick(heard: @autoclosure () -> Int, now: Double) -> [Action] {
        let capped = checkInvertedCap(now: now)
        guard capped.isEmpty else { return capped }
        return checkInWhilePaused(heard: heard, now: now)
    }

    /// Whether the table is tilted as measured (nil: no sensor, or lost; the plan says).
    private var measuredTilted: Bool?

    /// The table's angle (`--angle`): inverted time is the time it is measured tilted.
    mutating func measured(tilted: Bool?, now: Double) {
        measuredTilted = tilted
        if let tilted { invertedTimer.wrote(0, tilted: tilted, at: now) }
    }

    /// `frames` of the main timeline were written, up to `end`.
    mutating func wrote(_ frames: Int, endingAt end: Int, now: Double) -> [Action] {
        invertedTimer.wrote(frames, tilted: measuredTilted ?? timeline.isTilted(at: max(0, end - 1)), at: now)
        switch checkIns.written(upTo: end) {
        case .nothing: return []
        case .asked: return [.log("check-in: waiting \(Int(checkInAnswerSeconds)) s for a press"), .status]
        case .unanswered: return checkInMissed()
        }
    }

    /// The interjection playing has ended.
    mutating func interjectionEnded() {
        interjecting = false
        if pauseAfterInterjection { paused = true }
        pauseAfterInterjection = false
    }

    /// How the session ends when the closing, or the main timeline, has played out.
    var closingOutcome: Player.Outcome {
        if capReached { return .invertedCap }
        return checkIns.missed || pausedCheckInMissed ? .noAnswer : .stoppedWithClosing
    }

    /// The device is back after it was lost: "Audio is back", unless paused.
    mutating func deviceBack() -> [Action] { paused ? [] : interject(.audioBack) }

    // MARK: - The decisions' parts

    private mutating func cut() -> [Action] {
        interjecting = false
        return [.cut]
    }

    private mutating func unpause() {
        paused = false
        pauseAfterInterjection = false
    }

    private mutating func interject(_ cue: Cue, gain: Float = 1) -> [Action] {
        guard cues.contains(cue) else { return [] }
        interjecting = true
        return [.interject(cue, gain: gain)]
    }

    private mutating func jump(to frame: Int) -> [Action] {
        let actions = cut()
        unpause()
        checkIns.jumped(to: frame)
        return actions + [.seek(frame), .status]
    }

    /// Where to go on after a cut: the start of the spoken cue that was cut, else right here.
    func cutCueStart(_ frame: Int) -> Int {
        timeline.events.last { $0.kind == .speech && $0.frame <= frame && frame < $0.end }?.frame ?? frame
    }

    /// While "Slowly return upright" is being said at `at`, a skip or back waits for its end.
    private mutating func holdDuringUprightCue(_ command: ControlCommand, at: Int) -> [Action]? {
        guard let cue = uprightCues.first(where: { $0.frame <= at && at < $0.end }) else { return nil }
        var actions: [Action] = []
        if isPaused {
            // Paused in the middle of it: the press goes on, and the cue is said whole first.
            actions += cut()
            unpause()
            actions += interject(.resuming)
        }
        held.append(command)
        heldUntil = cue.end
        return actions + [.log("\(command.rawValue): after \"\(cue.text ?? cue.key)\"")]
    }

    private mutating func goToClosing() -> [Action] {
        interjecting = false
        paused = false
        pauseAfterInterjection = false
        inClosing = true
        return [.closing]
    }

    /// Past the cap on continuous time tilted (a long pause, many presses of `back`), the
    /// session goes to "Slowly return upright" whatever else is happening.
    private mutating func checkInvertedCap(now: Double) -> [Action] {
        guard !inClosing, invertedTimer.isOver(at: now) else { return [] }
        let lived = DurationText.short(milliseconds: Int(invertedTimer.stretch(at: now).rounded()) * 1000)
        let cap = DurationText.short(milliseconds: Int((planInvertedSeconds ?? invertedTimer.capSeconds).rounded()) * 1000)
        capReached = true
        return [.log("tilted for \(lived) without coming upright: the inverted-time cap (the plan's \(cap)) is reached; going to the closing")]
            + goToClosing()
    }

    /// Someone alone, paused while tilted, may have fainted: after `pausedCheckInSeconds` they
    /// are asked, and with no press in `checkInAnswerSeconds` the session goes to the closing.
    private mutating func checkInWhilePaused(heard: () -> Int, now: Double) -> [Action] {
        guard cues.contains(.checkIn), !inClosing else { return [] }
        guard isPaused, timeline.isTilted(at: heard()) else {
            pausedTiltedSince = nil
            pausedAnswerBy = nil
            return []
        }
        let since = pausedTiltedSince ?? now
        pausedTiltedSince = since
        if let deadline = pausedAnswerBy {
            guard now >= deadline else { return [] }
            pausedAnswerBy = nil
            pausedCheckInMissed = true
            return checkInMissed()
        } else if now - since >= pausedCheckInSeconds && !interjecting {
            pausedAnswerBy = now + checkInQuestionSeconds + checkInAnswerSeconds
            return interject(.checkIn) + [.log("check-in while paused: waiting \(Int(checkInAnswerSeconds)) s for a press")]
        }
        return []
    }

    /// Nobody answered a check-in (asked in a hold or during a pause): the closing.
    private mutating func checkInMissed() -> [Action] {
        [.log("no answer to the check-in in \(Int(checkInAnswerSeconds)) s: going to the closing")] + goToClosing()
    }
}
