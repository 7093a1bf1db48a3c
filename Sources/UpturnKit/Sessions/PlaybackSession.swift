import Foundation
import Synchronization

/// Plays on a sink through one `Player` on an audio thread of its own: a prepared session
/// (kept in the history, shown on the status board and the terminal's status line), or a
/// few spoken cues (`say`, `pack audition`, serve's announcements). `play`, `serve`, `say`
/// and `pack audition` all go through it, so they write the same frames the same way.
public struct PlaybackSession {
    public var volume = 100
    /// The inaudible 20 Hz tone for outputs that sleep on silence.
    public var keepAlive = false
    /// A one-line status on stderr (a terminal only).
    public var statusLine = false
    /// Where the controls arrive; nil plays to the end.
    public var controls: ControlQueue?
    /// What `ctl status` shows while a session plays.
    public var board: StatusBoard?
    /// The history; nil keeps nothing.
    public var journal: Journal?
    /// The table's measured angle (`--angle`): the session follows it.
    public var angle: (any TableAngle)?
    /// One line per thing a user should know about (a lost device, a check-in).
    public var log: (String) -> Void = { _ in }
    /// Called once, after the first frames reach the sink. By default, with
    /// `UPTURN_FIRST_FRAME_FILE` set (Scripts/bench), it writes the wall-clock time there.
    public var onFirstWrite: (() -> Void)? = PlaybackSession.firstFrameStamp

    public init(
        volume: Int = 100, keepAlive: Bool = false, statusLine: Bool = false, controls: ControlQueue? = nil, board: StatusBoard? = nil,
        journal: Journal? = nil, log: @escaping (String) -> Void = { _ in }
    ) {
        self.volume = volume
        self.keepAlive = keepAlive
        self.statusLine = statusLine
        self.controls = controls
        self.board = board
        self.journal = journal
        self.log = log
    }

    /// For Scripts/bench: when the first frame was written, as wall-clock seconds.
    private static var firstFrameStamp: (() -> Void)? {
        guard let file = ProcessInfo.processInfo.environment["UPTURN_FIRST_FRAME_FILE"] else { return nil }
        return { try? String(Date().timeIntervalSince1970).write(toFile: file, atomically: false, encoding: .utf8) }
    }

    private var gain: Float { Float(volume) / 100 }

    /// Added to a plan's cap at run time: the device's buffer and a slow start must not turn
    /// a plan that fits into one that is cut.
    public static let invertedCapGraceSeconds = 10.0

    /// The lead-in's silence, written to the sink on a thread of its own while the session is
    /// made (its voice synthesized for the first time, say): the first word then comes when
    /// the lead-in ends, however long the session and however cold the prompt cache. What
    /// reaches the sink is the same as without it, frame for frame.
    public final class Preroll: @unchecked Sendable {
        // @unchecked: `failure` is written by the pre-roll thread before it signals `done`,
        // and read only after `done` was waited for.
        /// The frames written: where the session goes on.
        public let frames: Int
        private let done = DispatchSemaphore(value: 0)
        private var failure: UpturnError?

        init(sink: any AudioSink, frames: Int, keepAlive: Bool) {
            self.frames = frames
            let box = SinkBox(sink)
            let thread = Thread(named: "upturn-preroll") { [self] in
                var samples = [Int16](repeating: 0, count: frames)
                if keepAlive {
                    var tone = KeepAliveTone(rate: box.sink.rate)
                    tone.add(to: &samples, count: frames)
                }
                do throws(UpturnError) {
                    try samples.withUnsafeBufferPointer { buffer throws(UpturnError) in try box.sink.write(buffer) }
                } catch {
                    failure = error
                }
                done.signal()
            }
            thread.start()
        }

        /// Waits until the silence has been taken by the sink; a device that failed meanwhile
        /// is the session's first error (the player reopens a lost one).
        @discardableResult
        public func finish() -> UpturnError? {
            done.wait()
            return failure
        }
    }

    /// Starts writing `Timing.leadInMilliseconds` of silence to `sink` now.
    private func preroll(_ sink: any AudioSink) -> Preroll {
        let frames = TimelineCompiler.frames(milliseconds: TimelineCompiler.Timing().leadInMilliseconds, rate: sink.rate)
        return Preroll(sink: sink, frames: frames, keepAlive: keepAlive)
    }

    /// Makes the session while the lead-in's silence plays on `sink` (not when the plan has
    /// music: it plays from the first frame). On failure the sink is closed and the error
    /// thrown; on success, hand the pre-roll to `run(_:plan:sink:after:)`.
    public func prepare(
        on sink: any AudioSink, music: Bool, _ make: () throws(UpturnError) -> Session
    ) throws(UpturnError) -> (Session, Preroll?) {
        let preroll = music ? nil : self.preroll(sink)
        do throws(UpturnError) {
            return (try make(), preroll)
        } catch {
            preroll?.finish()
            sink.abort()
            throw error
        }
    }

    /// Plays a prepared session to its end or a stop, and keeps it in the history: a start
    /// line now, an end line after (a kill in between reads as "killed"). The sink is
    /// finished or aborted on every path. The outcome, and the record written (the history
    /// failing to write is reported and never stops a session).
    public func run(
        _ session: Session, plan planName: String, sink: any AudioSink, after preroll: Preroll? = nil
    ) -> (Result<Player.Outcome, UpturnError>, SessionRecord) {
        var status: StatusLine?
        if statusLine {
            status = StatusLine(timeline: session.timeline, stepCount: session.plan.steps.count) { StandardError.writeRaw($0) }
        }
        let player = Player(
            timeline: session.timeline, clips: session.library, sink: sink, gain: gain,
            blockFrames: sink.blockFrames, status: status, controls: controls,
            cues: session.cues, music: session.music, stepCount: session.plan.steps.count)
        // The plan's cap on continuous inverted time, held at run time too, with a little
        // room for the device's latency: a plan that fits as written never meets it.
        player.planInvertedSeconds = Double(session.plan.maxInvertedMilliseconds) / 1000
        player.maxInvertedSeconds = Double(session.plan.maxInvertedMilliseconds) / 1000 + Self.invertedCapGraceSeconds
        player.sessionTitle = session.plan.title
        player.angle = angle
        if let preroll {
            // The pre-roll wrote silence; the session goes on from there, as long as it was
            // silence in the session too (music plays from the first frame: no pre-roll).
            if preroll.finish() == nil, preroll.frames <= session.timeline.firstSoundFrame, session.music == nil {
                player.startFrame = preroll.frames
            } else {
                sink.drop()
            }
        }
        let log = self.log
        player.log = { [status] line in
            // A log line takes the status line's place; the status line comes back after it.
            if status != nil { StandardError.writeRaw("\r\u{1B}[2K") }
            log(line)
        }
        if let board { player.onStatus = { board.publish($0) } }
        defer { board?.showIdle() }

        var record = SessionRecord(
            id: UUID().uuidString, start: Date(), plan: planName, title: session.plan.title, steps: session.plan.steps.count)
        if let today = session.today, today.fallback == nil {
            record.level = today.level
            record.program = today.program
        }
        var journal = self.journal
        do throws(UpturnError) { try journal?.recordStart(record) } catch {
            journal = nil
            log(error.description + "; this session is not kept in the history")
        }

        let outcome = playOnAudioThread(player) {
            // As it plays, a progress line per step (and every half minute while inverted
            // time grows): a session killed mid-way still shows what was done.
            let now = player.progress.withLock { $0 }
            guard now.stepsDone != record.stepsDone || now.invertedSeconds >= record.invertedSeconds + 30 else { return }
            record.stepsDone = now.stepsDone
            record.invertedSeconds = now.invertedSeconds
            record.highestAngle = max(0, min(90, now.highestAngle))
            try? journal?.recordProgress(record)
        }
        record.end = Date()
        record.stepsDone = player.stepsDone
        record.invertedSeconds = player.invertedSeconds
        record.highestAngle = max(0, min(90, player.highestAngle))
        record.angleTrace = player.angleTrace
        record.ending = SessionRecord.Ending(outcome, allStepsDone: record.stepsDone >= record.steps)
        do throws(UpturnError) { try journal?.recordEnd(record) } catch { log(error.description) }
        return (outcome, record)
    }

    /// Plays a timeline that is kept nowhere: spoken cues (`say`, an audition, serve's
    /// announcements) or a whole session written to a file (`render`). With `givesWay`, any
    /// control ends it at once (`.interrupted`) and stays in the queue for the caller:
    /// serve's announcements give way to the press that answers them.
    public func play(
        _ timeline: Timeline, clips: any ClipProviding, music: MusicBed? = nil, sink: any AudioSink, givesWay: Bool = false
    ) throws(UpturnError) -> Player.Outcome {
        let player = Player(
            timeline: timeline, clips: clips, sink: sink, gain: gain, blockFrames: sink.blockFrames, controls: controls, music: music)
        player.endsOnControl = givesWay
        return try playOnAudioThread(player, meanwhile: nil).get()
    }

    /// The audio loop runs on a thread of its own, so nothing else ever blocks it (the
    /// history's disk writes least of all); this thread waits for its end, calling
    /// `meanwhile` once a second.
    private func playOnAudioThread(_ player: Player, meanwhile: (() -> Void)?) -> Result<Player.Outcome, UpturnError> {
        player.keepAlive = keepAlive
        player.onFirstWrite = onFirstWrite
        let result = Mutex<Result<Player.Outcome, UpturnError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let box = PlayerBox(player)
        let thread = Thread(named: "upturn-audio") {
            let outcome: Result<Player.Outcome, UpturnError>
            do throws(UpturnError) { outcome = .success(try box.player.play()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
        if let meanwhile {
            while done.wait(timeout: .now() + 1) == .timedOut { meanwhile() }
        } else {
            done.wait()
        }
        return result.withLock { $0 } ?? .failure(UpturnError.internalError("the audio thread gave no result"))
    }
}

extension SessionRecord.Ending {
    /// How a played session reads in the history: one that reached its end by skipping
    /// steps was stopped, not finished, so it does not move the level up.
    init(_ outcome: Result<Player.Outcome, UpturnError>, allStepsDone: Bool) {
        switch outcome {
        case .success(.finished): self = allStepsDone ? .finished : .stopped
        case .success(.noAnswer): self = .noAnswer
        case .success(.invertedCap): self = .invertedCap
        case .success: self = .stopped
        case .failure(let error) where error.code == .unavailable: self = .audioLost
        case .failure: self = .killed
        }
    }
}

/// The sink handed to the pre-roll thread; only that thread touches it until `finish()`.
private final class SinkBox: @unchecked Sendable {
    // @unchecked: handed over whole; one thread at a time uses the sink.
    let sink: any AudioSink
    init(_ sink: any AudioSink) { self.sink = sink }
}

/// The player handed to the audio thread; only that thread touches it after the start.
private final class PlayerBox: @unchecked Sendable {
    // @unchecked: handed over whole; one thread at a time uses the player.
    let player: Player
    init(_ player: Player) { self.player = player }
}

