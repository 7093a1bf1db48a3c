import Foundation
import Synchronization

/// What a control asks of the player.
public enum ControlCommand: String, CaseIterable, Sendable {
    case pause, resume, toggle, skip, back, stop
}

/// Carries control commands from any thread (keyboard, pedal, GPIO, socket, voice, D-Bus) and
/// from signals to the thread that acts on them. Posting also writes a byte to a pipe, so an
/// audio thread waiting for room in the device buffer wakes at once instead of after its
/// write. Signals are folded in here, once: SIGUSR1 comes out as `toggle`, SIGUSR2 as `skip`,
/// SIGINT and SIGTERM as `stop` (and set `terminationRequested`), so neither the player nor
/// the service counts signals itself.
public final class ControlQueue: Sendable {
    /// The signal counts so far: the process's (`Signals.counts`), or a test's.
    public typealias SignalCounts = @Sendable () -> (stop: Int, toggle: Int, skip: Int)

    private struct State {
        var commands: [ControlCommand] = []
        var signalsSeen = (stop: 0, toggle: 0, skip: 0)
    }
    private let state: Mutex<State>
    private let signals: SignalCounts
    /// Bumped by every post, so the audio thread can skip `take()` (and its read(2)) when
    /// nothing came.
    private let posts = Atomic<Int>(0)
    private let taken = Atomic<Int>(0)
    /// The signals' total as last taken, so their bytes are drained as well and a poll
    /// never spins on them.
    private let signalsTaken = Atomic<Int>(0)
    private let terminating = Atomic<Bool>(false)
    /// Readable while commands are pending.
    public let wakeFD: Int32
    private let postFD: Int32
    /// The pipe's writing end, for signal handlers (write(2) is safe in them).
    public var postDescriptor: Int32 { postFD }

    public init(signals: @escaping SignalCounts = { Signals.counts }) {
        self.signals = signals
        let seen = signals()
        state = Mutex(State(signalsSeen: seen))
        signalsTaken.store(Self.total(seen), ordering: .relaxed)
        // Without a pipe (no descriptors left) controls still arrive, only a blocked write
        // does not wake for them: -1 polls as nothing.
        let ends = (try? SystemCall.pipe(nonBlocking: true)) ?? (read: -1, write: -1)
        wakeFD = ends.read
        postFD = ends.write
    }

    deinit {
        SystemCall.close(wakeFD)
        SystemCall.close(postFD)
    }

    public func post(_ command: ControlCommand) {
        state.withLock { $0.commands.append(command) }
        wake()
    }

    /// Wakes a waiting thread without a command (`serve` gets its start requests this way).
    public func wake() {
        posts.add(1, ordering: .releasing)
        SystemCall.poke(postFD)
    }

    /// Every signal in a count.
    private static func total(_ counts: (stop: Int, toggle: Int, skip: Int)) -> Int {
        counts.stop + counts.toggle + counts.skip
    }

    /// True when something was posted or signalled that `take()` has not collected yet.
    public var hasPending: Bool {
        posts.load(ordering: .acquiring) != taken.load(ordering: .relaxed) || Self.total(signals()) != signalsTaken.load(ordering: .relaxed)
    }

    /// True once SIGINT or SIGTERM came (through `take()`): the process should end, after
    /// the closing cue when someone is inverted.
    public var terminationRequested: Bool { terminating.load(ordering: .relaxed) }

    /// Every command posted since the last call, oldest first, then those of the signals
    /// that came since: toggles, skips, stops.
    public func take() -> [ControlCommand] {
        let seen = posts.load(ordering: .acquiring)
        let counts = signals()
        let signalled = Self.total(counts)
        guard seen != taken.load(ordering: .relaxed) || signalled != signalsTaken.load(ordering: .relaxed) else { return [] }
        taken.store(seen, ordering: .relaxed)
        signalsTaken.store(signalled, ordering: .relaxed)
        SystemCall.drain(wakeFD)
        let (commands, signalStops) = state.withLock { state in
            defer {
                state.commands.removeAll()
                state.signalsSeen = counts
            }
            let before = state.signalsSeen
            let stops = max(0, counts.stop - before.stop)
            let commands = state.commands + Array(repeating: ControlCommand.toggle, count: max(0, counts.toggle - before.toggle))
                + Array(repeating: .skip, count: max(0, counts.skip - before.skip)) + Array(repeating: .stop, count: stops)
            return (commands, stops)
        }
        if signalStops > 0 { terminating.store(true, ordering: .relaxed) }
        return commands
    }

    /// Waits up to `milliseconds` (-1: for good) for a command to be posted.
    public func wait(milliseconds: Int32) {
        _ = SystemCall.waitReadable(wakeFD, milliseconds: milliseconds)
    }
}
