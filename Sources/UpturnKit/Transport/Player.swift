import Foundation
import Synchronization

/// The transport: plays a timeline to a sink on the calling thread (give it a thread of its
/// own) and applies control commands between blocks. Session time is counted in frames
/// written, never in wall-clock time, so cues never drift and an unpaced device plays a
/// whole session as fast as it takes the frames. Skip and back move the position in the
/// timeline; they never rebuild it. What a command, the cap or a check-in does is decided by
/// `TransportMachine`; the player carries its actions out and keeps the I/O: the renderers
/// (their clips loaded by a `ClipLoader`), the sink, a lost device's retries, the status.
/// Beside it: `SessionStatistics` (for the history) and `KeepAliveTone`.
public final class Player {
    public enum Outcome: Equatable, Sendable {
        case finished
        /// Stopped while upright: ended at once.
        case stopped
        /// Stopped while inverted: the closing "return upright" segment was played.
        case stoppedWithClosing
        /// Nobody answered a safety check-in: the closing segment was played.
        case noAnswer
        /// Tilted past the plan's cap on continuous inverted time: the closing was played.
        case invertedCap
        /// A control came while playing an announcement that gives way to controls; the
        /// control is left in the queue for the caller.
        case interrupted
    }

    public struct Cues: Sendable {
        public var paused: Interjection?
        public var resuming: Interjection?
        public var audioBack: Interjection?
        /// "Good.", said softly when a check-in is answered.
        public var answered: Interjection?
        /// "Still comfortable? Press to continue.": asked of someone alone who has been paused
        /// while tilted for `pausedCheckInSeconds` (nil: nobody is asked).
        public var checkIn: Interjection?
        /// Following the table (`--angle`): "Thirty degrees. Good." and "Stop at about thirty
        /// degrees" for each tilt's angle, "Come up a little", "You're upright", and the
        /// sensor lost.
        public var tiltReached: [Int: Interjection] = [:]
        public var tiltNotReached: [Int: Interjection] = [:]
        public var tiltTooFar: Interjection?
        public var uprightConfirmed: Interjection?
        public var angleLost: Interjection?
        public init(
            paused: Interjection? = nil, resuming: Interjection? = nil, audioBack: Interjection? = nil,
            answered: Interjection? = nil, checkIn: Interjection? = nil
        ) {
            self.paused = paused
            self.resuming = resuming
            self.audioBack = audioBack
            self.answered = answered
            self.checkIn = checkIn
        }
    }

    public let timeline: Timeline
    public let blockFrames: Int
    private let clips: any ClipProviding
    private let gain: Float
    private let sink: any AudioSink
    private let status: StatusLine?
    private let controls: ControlQueue?
    private let cues: Cues
    private let music: MusicBed?
    private let stepCount: Int
    /// Called once, after the first frames reach the sink (the benchmark's start figure).
    public var onFirstWrite: (() -> Void)?
    /// What the player's time is counted in (a simulated clock in tests).
    public var clock: any PlayerClock = SystemPlayerClock()
    /// One line for each thing a user should know about (a lost device).
    public var log: (String) -> Void = { _ in }
    /// An inaudible 20 Hz tone under everything, for outputs that sleep on silence.
    public var keepAlive = false
    /// Where the session starts: the frames before it were written already (the lead-in's
    /// silence, written while the session was being made: `PlaybackSession.Preroll`).
    public var startFrame = 0 {
        didSet { tone = KeepAliveTone(rate: timeline.rate, phase: startFrame) }
    }
    /// An announcement (serve) gives way to any control: it ends at once, `.interrupted`,
    /// and leaves the control in the queue.
    public var endsOnControl = false
    /// How long a lost device is retried, at most, besides the session's remaining time.
    public var lostDeviceGraceSeconds = 10.0
    /// How long a safety check-in waits for a press, counted in session frames after the
    /// question has been said.
    public var checkInAnswerSeconds = 20.0
    /// Paused while tilted this long, someone alone is asked whether they are still
    /// comfortable; with no answer, the session goes to the closing.
    public var pausedCheckInSeconds = 60.0
    /// The longest the person may stay tilted without coming upright, as lived (pauses and
    /// presses of `back` count): past it, the player goes to the closing. Nil: no limit
    /// (cues that are not a session).
    public var maxInvertedSeconds: Double?
    /// The plan's own cap, for what is said of it (`maxInvertedSeconds` has room added).
    public var planInvertedSeconds: Double?
    /// The table's measured angle (`--angle`): the session follows it (`TableFollower`).
    public var angle: (any TableAngle)?
    public let snapshot = Mutex(PlayerSnapshot())
    /// The timeline for the snapshot's `saying`, made once.
    private let words: PlayerWords
    /// Told the snapshot whenever it is taken (every quarter second while playing, and at
    /// once on a change): `PlaybackSession` publishes it on the `StatusBoard`.
    public var onStatus: ((PlayerSnapshot) -> Void)?
    /// The session's title, for the status (MPRIS shows it as the album).
    public var sessionTitle = ""
    /// How far the session has come, updated as it plays (for progress lines in the history).
    public let progress = Mutex(SessionProgress())

    /// For the history: what was played, counted from the frames written.
    public private(set) var statistics = SessionStatistics()
    /// Seconds spent tilted, as lived: the wall clock or the session's frames, whichever is
    /// longer, pauses included.
    public private(set) var invertedSeconds = 0.0
    /// The steepest angle: the one held 5 s as measured when the table was followed, else
    /// the plan's.
    public var highestAngle: Int { follower?.highestHeld.map { Int($0.rounded()) } ?? statistics.highestAngle }
    /// The measured angle each second (empty without a sensor).
    public var angleTrace: [Double] { follower?.trace ?? [] }
    /// The plan's steps that were played to their end.
    public var stepsDone: Int { statistics.stepsDone(in: timeline, stepCount: stepCount) }

    // Transport state, touched only by the audio thread.
    /// Loads the clips ahead of the position: the audio thread never does (see `ClipLoader`).
    private var loader: ClipLoader!
    /// Since when the audio thread has waited for a clip (nil: it has not).
    private var waitingSince: Double?
    private var main: Renderer!
    private var interjection: Renderer?
    private var closing: Renderer?
    /// The block being written: frames `pendingOffset..<pendingCount` are still to go.
    private var pending: [Int16] = []
    private var pendingCount = 0
    private var pendingOffset = 0
    /// Controls that came while a lost device was being reopened, applied once it is back.
    private var deferred: [ControlCommand] = []
    private var lastDelay = 0
    private var tone: KeepAliveTone
    /// The decisions (see `TransportMachine`); made when play starts, from the settings.
    private var machine: TransportMachine!
    /// Following the table, with a sensor (see `TableFollower`).
    private var follower: TableFollower?
    /// The session's end, once an action said it.
    private var ended: Outcome?

    public init(
        timeline: Timeline, clips: any ClipProviding, sink: any AudioSink, gain: Float = 1, blockFrames: Int = 1024,
        status: StatusLine? = nil, controls: ControlQueue? = nil, cues: Cues = Cues(), music: MusicBed? = nil,
        stepCount: Int? = nil
    ) {
        self.timeline = timeline
        words = PlayerWords(timeline)
        self.clips = clips
        self.sink = sink
        self.gain = gain
        self.blockFrames = blockFrames
        self.status = status
        self.controls = controls
        self.cues = cues
        self.music = music
        self.stepCount = stepCount ?? max(0, timeline.steps.count - 2)
        tone = KeepAliveTone(rate: timeline.rate)
    }

    /// A player whose only control is a count of stop requests (tests).
    public convenience init(
        timeline: Timeline, clips: any ClipProviding, sink: any AudioSink, gain: Float = 1, blockFrames: Int = 1024,
        status: StatusLine? = nil, music: MusicBed? = nil, stopRequests: @escaping () -> Int
    ) {
        // Read on the audio thread only, where the player runs.
        nonisolated(unsafe) let requests = stopRequests
        self.init(
            timeline: timeline, clips: clips, sink: sink, gain: gain, blockFrames: blockFrames, status: status,
            controls: ControlQueue(signals: { (requests(), 0, 0) }), music: music)
    }

    /// Plays to the end, or to a stop. The sink is finished (drained and closed) on every
    /// path, errors included, so a WAV header or device is never left half-written.
    public func play() throws(UpturnError) -> Outcome {
        machine = TransportMachine(
            timeline: timeline, cues: Set(TransportMachine.Cue.allCases.filter { interjection($0) != nil }),
            checkInQuestionSeconds: Double(cues.checkIn?.frames ?? 0) / Double(timeline.rate),
            pausedCheckInSeconds: pausedCheckInSeconds, checkInAnswerSeconds: checkInAnswerSeconds,
            maxInvertedSeconds: maxInvertedSeconds, planInvertedSeconds: planInvertedSeconds)
        follower = angle == nil ? nil : TableFollower(timeline: timeline)
        let interjections = TransportMachine.Cue.allCases.compactMap(interjection)
            + [cues.tiltTooFar, cues.uprightConfirmed, cues.angleLost].compactMap { $0 } + Array(cues.tiltReached.values) + Array(cues.tiltNotReached.values)
        loader = ClipLoader(
            provider: clips, main: timeline.events, pinned: timeline.closing + interjections.flatMap(\.events), rate: timeline.rate)
        loader.start()
        defer {
            invertedSeconds = machine.invertedTimer.totalSeconds(at: clock.now)
            if !loader.stop() { log("a clip was still loading when the session ended") }
        }
        do {
            let outcome = try run()
            status?.clear()
            if outcome == .stopped || outcome == .interrupted { sink.drop() }
            try sink.finish()
            return outcome
        } catch {
            status?.clear()
            sink.abort()
            throw error
        }
    }

    private func run() throws(UpturnError) -> Outcome {
        main = Renderer(timeline: timeline, supply: loader, gain: gain, music: music)
        ended = nil
        if startFrame > 0 { seekMain(to: startFrame) }
        pending = [Int16](repeating: 0, count: blockFrames)
        pendingCount = 0
        pendingOffset = 0
        var loops = 0
        let statusEvery = max(1, timeline.rate / 4 / blockFrames)
        while true {
            if endsOnControl, controls?.hasPending == true {
                cut()
                return .interrupted
            }
            handleControls()
            if ended == nil {
                let mainPlays = currentSource() === main
                perform(machine.tick(heard: heard(mainPlays: mainPlays), now: clock.now))
                if ended == nil { followTable() }
            }
            if let ended { return ended }
            if pendingOffset >= pendingCount {
                if let source = currentSource() {
                    // Following the table, the main timeline stops at the step it waits in.
                    let limit = source === main ? follower?.barrier.map { min(pending.count, max(0, $0 - main.position)) } ?? pending.count : pending.count
                    guard
                        let n = try pending.withUnsafeMutableBufferPointer({ out throws(UpturnError) in
                            try source.render(into: UnsafeMutableBufferPointer(rebasing: out[0..<limit]))
                        })
                    else {
                        waitForClips()
                        continue
                    }
                    clipsArrived()
                    if source === main { loader.moved(to: main.position) }
                    if n == 0 {
                        if let outcome = sourceEnded(source) { return outcome }
                        continue
                    }
                    if keepAlive { tone.add(to: &pending, count: n) }
                    pendingCount = n
                } else {
                    // Paused: nothing to write but the keep-alive tone; wait for a control.
                    updateStatus(force: true)
                    guard keepAlive else {
                        // Waiting for the table: its angle is looked at 20 times a second.
                        clock.wait(for: [controls?.wakeFD ?? -1], milliseconds: controls == nil || follower != nil ? 50 : 250)
                        continue
                    }
                    pending.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                    tone.add(to: &pending, count: pending.count)
                    pendingCount = pending.count
                }
                pendingOffset = 0
            }
            do {
                try writePending()
            } catch where error.deviceLost {
                try recoverLostDevice(error)
                continue
            }
            loops += 1
            if loops % statusEvery == 0 { updateStatus(force: false) }
        }
    }

    /// A clip the next block needs is still loading: wait for it, or for a control, at most
    /// 20 ms at a time, never on the loader itself. What the device holds plays on meanwhile;
    /// a cue that comes late is heard late, whole.
    private func waitForClips() {
        // In real time even under a simulated clock: the loader is a real thread, and the
        // time spent waiting for it is not the session's.
        if waitingSince == nil { waitingSince = MonotonicClock.now }
        _ = SystemCall.waitReadable(any: [loader.readyFD, controls?.wakeFD ?? -1], milliseconds: 20)
        loader.drain()
    }

    /// The block had its clips: a long wait for them is said once.
    private func clipsArrived() {
        guard let since = waitingSince else { return }
        waitingSince = nil
        let waited = MonotonicClock.now - since
        if waited >= 1 { log("a cue came \(String(format: "%.1f", waited)) s late: its clip was still loading (a slow disk, or speech being made)") }
    }

    private func seekMain(to frame: Int) {
        main.seek(to: frame)
        loader.moved(to: frame)
    }

    /// Writes what the sink takes of the pending block, and counts it.
    private func writePending() throws(UpturnError) {
        let written = try pending.withUnsafeBufferPointer { buffer throws(UpturnError) in
            try sink.write(UnsafeBufferPointer(rebasing: buffer[pendingOffset..<pendingCount]), wakeFD: controls?.wakeFD)
        }
        pendingOffset += written
        guard written > 0 else { return }
        clock.wrote(written, rate: timeline.rate)
        if currentSource() === main {
            let end = mainWritten
            statistics.account(written, endingAt: end, in: timeline)
            perform(machine.wrote(written, endingAt: end, now: clock.now))
        }
        if let first = onFirstWrite {
            onFirstWrite = nil
            first()
        }
    }

    private func currentSource() -> Renderer? {
        if let interjection { return interjection }
        if let closing { return closing }
        if let follower, follower.holding || follower.closingWait || follower.barrier.map({ main.position >= $0 }) == true { return nil }
        return machine.paused ? nil : main
    }

    /// The table's angle, every block and every wait: the follower's decisions, and time
    /// inverted as measured.
    private func followTable() {
        guard follower != nil, let angle else { return }
        let sample = angle.current
        let now = clock.now
        machine.measured(tilted: sample.map { $0.degrees > AngleRules.inverted }, now: now)
        // Paused, nothing is said or decided for the table (the pause holds everything).
        guard !machine.isPaused else { return }
        let mainPlays = currentSource() === main
        let frame = heard(mainPlays: mainPlays)
        let busy = interjection != nil || closing != nil
        performFollow(follower!.tick(heard: frame, written: main.position, angle: sample, now: now, interjecting: busy))
    }

    private func performFollow(_ actions: [TableFollower.Action]) {
        for action in actions {
            switch action {
            case .say(let cue):
                let said: Interjection?
                switch cue {
                case .reached(let a): said = cues.tiltReached[a]
                case .notReached(let a): said = cues.tiltNotReached[a]
                case .tooFar: said = cues.tiltTooFar
                case .upright: said = cues.uprightConfirmed
                case .lost: said = cues.angleLost
                }
                guard let said else { continue }
                interjection = Renderer(events: said.events, frames: said.frames, supply: loader, gain: gain)
            case .seek(let frame):
                if interjection == nil { cut() }
                seekMain(to: frame)
            case .closingAgain:
                cut()
                closing = Renderer(events: timeline.closing, frames: timeline.closingFrames, supply: loader, gain: gain)
            case .end: ended = ended ?? machine.closingOutcome
            case .completed(let span): statistics.completed(span)
            case .log(let line): log(line)
            case .status: updateStatus(force: true)
            }
        }
    }

    /// What happens when the renderer playing has no more frames.
    private func sourceEnded(_ source: Renderer) -> Outcome? {
        if source === interjection {
            interjection = nil
            machine.interjectionEnded()
            return nil
        }
        if source === closing {
            guard follower != nil else { return machine.closingOutcome }
            // With the table followed, the closing ends when the table is upright.
            closing = nil
            performFollow(follower!.closingEnded(angle: angle?.current, now: clock.now))
            return ended
        }
        return .finished
    }

    /// The main timeline's frames written to the sink so far.
    private var mainWritten: Int { mainWritten(mainPlays: currentSource() === main) }

    private func mainWritten(mainPlays: Bool) -> Int {
        mainPlays ? main.position - (pendingCount - pendingOffset) : main.position
    }

    /// The main timeline's frame being heard now.
    private var heard: Int { heard(mainPlays: currentSource() === main) }

    /// The same, told whether the main timeline plays: the machine's decisions ask for it
    /// while they run, and must not read the machine then (Swift's exclusivity).
    private func heard(mainPlays: Bool) -> Int {
        guard mainPlays else { return main.position }
        lastDelay = sink.pendingFrames()
        return max(0, mainWritten(mainPlays: true) - lastDelay)
    }

    /// Silences at once: drops what the device holds, the block not yet written, and any
    /// interjection that was playing.
    private func cut() {
        sink.drop()
        pendingCount = 0
        pendingOffset = 0
        interjection = nil
    }

    private func interjection(_ cue: TransportMachine.Cue) -> Interjection? {
        switch cue {
        case .paused: return cues.paused
        case .resuming: return cues.resuming
        case .audioBack: return cues.audioBack
        case .answered: return cues.answered
        case .checkIn: return cues.checkIn
        }
    }

    /// Carries out the machine's actions, in order; an end is kept for the loop.
    private func perform(_ actions: [TransportMachine.Action]) {
        for action in actions {
            switch action {
            case .cut: cut()
            case .seek(let frame):
                seekMain(to: frame)
                follower?.jumped(to: frame)
            case .interject(let cue, let cueGain):
                guard let said = interjection(cue) else { continue }
                interjection = Renderer(events: said.events, frames: said.frames, supply: loader, gain: gain * cueGain)
            case .closing:
                cut()
                closing = Renderer(events: timeline.closing, frames: timeline.closingFrames, supply: loader, gain: gain)
            case .end(let outcome): ended = ended ?? outcome
            case .log(let line): log(line)
            case .status: updateStatus(force: true)
            }
        }
    }

    private func handleControls() {
        var commands = deferred + (controls?.take() ?? [])
        deferred = []
        let mainPlays = currentSource() === main
        commands = machine.takeHeld(heard: heard(mainPlays: mainPlays)) + commands
        for command in commands where ended == nil {
            // Held at a step's end for the table, a control acts on the step that waits.
            let at = follower?.barrier.map { min(heard, $0 - 1) } ?? heard
            perform(machine.apply(command, heard: at, now: clock.now))
        }
    }

    /// A lost device: rewind to the cue that was cut, try to reopen it (every 250 ms for the
    /// first five seconds, then every second) for as long as the session would have lasted,
    /// then say "Audio is back" and go on. A stop while it is gone ends the session (69);
    /// other controls wait until it is back.
    private func recoverLostDevice(_ error: UpturnError) throws(UpturnError) {
        let resumeAt = machine.cutCueStart(max(0, mainWritten - lastDelay))
        pendingCount = 0
        pendingOffset = 0
        if currentSource() === main { seekMain(to: resumeAt) }
        log(error.description + "; trying to reopen it")
        let lostAt = clock.now
        publish(snapshot.withLock { $0.audioLost = true; return $0 })
        let remaining = Double(timeline.frames - resumeAt) / Double(timeline.rate)
        let deadline = clock.now + max(lostDeviceGraceSeconds, remaining)
        while clock.now < deadline {
            // Quick retries at first (a sound server restarting is back in a moment), then every second.
            let interval: Int32 = clock.now - lostAt < 5 ? 250 : 1000
            clock.wait(for: [controls?.wakeFD ?? -1], milliseconds: interval)
            let commands = controls?.take() ?? []
            if commands.contains(.stop) { break }
            deferred += commands
            do {
                try sink.reopen()
                log("audio is back")
                publish(snapshot.withLock { $0.audioLost = false; return $0 })
                perform(machine.deviceBack())
                return
            } catch {
                continue
            }
        }
        let step = timeline.step(at: resumeAt)
        throw UpturnError(
            .unavailable,
            error.description + "; it did not come back, so the session stopped at step \(step?.index ?? 0) (\(step?.title ?? ""))")
    }

    private func publish(_ snapshot: PlayerSnapshot) { onStatus?(snapshot) }

    private func updateStatus(force: Bool) {
        // Held at a step's end for the table, the step is still the one waiting.
        let frame = follower?.barrier.map { min(heard, $0 - 1) } ?? heard
        let span = timeline.step(at: frame)
        let rate = Double(timeline.rate)
        let isPaused = machine.isPaused
        let checkIn = machine.checkIns.isWaiting
        let title = sessionTitle
        let stretch = machine.invertedTimer.stretch(at: clock.now)
        let cap = machine.invertedTimer.capSeconds.isFinite ? machine.invertedTimer.capSeconds : nil
        let measured = angle?.current.map { ($0.degrees * 10).rounded() / 10 }
        let alarm = follower?.alarm ?? false
        let follows = follower != nil
        let waiting = follower.map { $0.holding || $0.closingWait } ?? false
        let taken = snapshot.withLock { s in
            s.invertedFor = stretch
            s.invertedCap = cap
            s.checkIn = checkIn
            s.step = span?.index ?? 0
            s.steps = stepCount
            s.title = span?.title ?? ""
            s.session = title
            s.stepLength = Double((span?.end ?? frame) - (span?.start ?? frame)) / rate
            s.seconds = Double(frame) / rate
            s.paused = isPaused
            s.inverted = span?.inverted ?? false
            s.stepLeft = Double((span?.end ?? frame) - frame) / rate
            s.sessionLeft = Double(timeline.frames - frame) / rate
            s.angle = measured
            s.followsTable = follows
            s.alarm = alarm
            s.waitingForTable = waiting
            s.words = words
            return s
        }
        publish(taken)
        status?.update(frame: frame, paused: isPaused)
        let now = SessionProgress(
            stepsDone: stepsDone, invertedSeconds: machine.invertedTimer.totalSeconds(at: clock.now), highestAngle: highestAngle)
        progress.withLock { $0 = now }
    }
}
