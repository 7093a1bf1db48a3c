import Foundation
import Synchronization
import UpturnKit

/// Plays one prepared session on an open ALSA sink, with the controls feeding `queue`, and
/// keeps it in the history. `play` runs it once; `serve` runs it for every session.
struct SessionRunner {
    var rate: Int
    var volume: Int
    var keepAlive: Bool
    /// A one-line status on stderr (a terminal only).
    var statusLine: Bool
    var queue: ControlQueue
    var board: StatusBoard
    var journal: Journal
    var log: (String) -> Void

    /// Plays to the end or a stop; the sink is finished or aborted on every path. The
    /// outcome, with the record written to the history (or nil when the history cannot be
    /// written, which is reported and never stops a session).
    func run(_ session: Session, plan planName: String, sink: ALSASink) -> (Result<Player.Outcome, UpturnError>, SessionRecord) {
        var status: StatusLine?
        if statusLine {
            status = StatusLine(timeline: session.timeline, stepCount: session.plan.steps.count) { text in
                StandardError.writeRaw(text)
            }
        }
        let player = Player(
            timeline: session.timeline, clips: session.library, sink: sink, gain: Float(volume) / 100,
            blockFrames: max(256, sink.periodFrames), status: status, controls: queue, cues: session.cues,
            music: session.music, stepCount: session.plan.steps.count)
        player.keepAlive = keepAlive
        let clearLine = status == nil ? "" : "\r\u{1B}[2K"
        let log = self.log
        player.log = { line in log(clearLine + line) }
        if let stamp = ProcessInfo.processInfo.environment["UPTURN_FIRST_FRAME_FILE"] {
            // For Scripts/bench: when the first frame was written, as wall-clock seconds.
            player.onFirstWrite = {
                try? String(Date().timeIntervalSince1970).write(toFile: stamp, atomically: false, encoding: .utf8)
            }
        }
        let reader = SnapshotReader(player)
        board.show { reader.json }
        defer { board.showIdle() }

        // The history: a start line now, an end line after; a kill in between reads as "killed".
        var record = SessionRecord(
            id: UUID().uuidString, start: Date(), plan: planName, title: session.plan.title, steps: session.plan.steps.count)
        if let today = session.today, today.fallback == nil {
            record.level = today.level
            record.program = today.program
        }
        var journalWorks = true
        do throws(UpturnError) { try journal.recordStart(record) } catch {
            journalWorks = false
            log(error.description + "; this session is not kept in the history")
        }

        // The audio loop runs on a thread of its own; nothing else ever blocks it.
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
        done.wait()
        let outcome = result.withLock { $0 } ?? .failure(UpturnError.internalError("the audio thread gave no result"))

        record.end = Date()
        record.stepsDone = player.stepsDone
        record.invertedSeconds = Double(player.invertedFrames) / Double(rate)
        record.highestAngle = player.highestAngle
        switch outcome {
        case .success(.finished): record.ending = .finished
        case .success(.noAnswer): record.ending = .noAnswer
        case .success: record.ending = .stopped
        case .failure(let error) where error.code == .unavailable: record.ending = .audioLost
        case .failure: record.ending = .killed
        }
        if journalWorks {
            do throws(UpturnError) { try journal.recordEnd(record) } catch { log(error.description) }
        }
        return (outcome, record)
    }
}

/// What `upturn ctl status` answers: the playing session's snapshot, or what `serve` is
/// waiting for. Read from the socket's thread.
final class StatusBoard: Sendable {
    private let source: Mutex<@Sendable () -> String>
    private let idle: Mutex<String>

    init(idle: String = "{\"state\": \"starting\"}") {
        let text = idle
        self.idle = Mutex(idle)
        source = Mutex({ text })
    }

    var json: String {
        let read = source.withLock { $0 }
        return read()
    }

    func show(_ read: @escaping @Sendable () -> String) {
        source.withLock { $0 = read }
    }

    /// Between sessions: the idle text.
    func setIdle(_ text: String) {
        idle.withLock { $0 = text }
        showIdle()
    }

    func showIdle() {
        let text = idle.withLock { $0 }
        source.withLock { $0 = { text } }
    }
}

/// The player handed to the audio thread; only that thread touches it after the start.
private final class PlayerBox: @unchecked Sendable {
    let player: Player
    init(_ player: Player) { self.player = player }
}

/// Reads the player's status for the control socket's thread (the snapshot is a Mutex).
private final class SnapshotReader: @unchecked Sendable {
    private let player: Player
    init(_ player: Player) { self.player = player }
    var json: String { player.snapshot.withLock { $0.json } }
}
