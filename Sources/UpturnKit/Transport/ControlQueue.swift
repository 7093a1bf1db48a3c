import Foundation
import Synchronization

/// What a control asks of the player.
public enum ControlCommand: String, CaseIterable, Sendable {
    case pause, resume, toggle, skip, back, stop
}

/// Carries control commands from any thread (keyboard, pedal, GPIO, socket, signals) to the
/// audio thread. Posting also writes a byte to a pipe, so an audio thread waiting for room in
/// the device buffer wakes at once instead of after its write.
public final class ControlQueue: Sendable {
    private let pending = Mutex<[ControlCommand]>([])
    /// Bumped by every post, so the audio thread can skip `take()` (and its read(2)) when
    /// nothing came.
    private let posts = Atomic<Int>(0)
    private let taken = Atomic<Int>(0)
    /// Signals write to the pipe too (their handlers may only touch atomics): their count,
    /// as last seen, so their bytes are drained as well and a poll never spins on them.
    private let signalsTaken = Atomic<Int>(0)
    /// Readable while commands are pending.
    public let wakeFD: Int32
    private let postFD: Int32
    /// The pipe's writing end, for signal handlers (write(2) is safe in them).
    public var postDescriptor: Int32 { postFD }

    public init() {
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
        pending.withLock { $0.append(command) }
        posts.add(1, ordering: .releasing)
        SystemCall.poke(postFD)
    }

    /// Wakes a waiting thread without a command (`serve` gets its start requests this way).
    public func wake() {
        posts.add(1, ordering: .releasing)
        SystemCall.poke(postFD)
    }

    /// True when something was posted that `take()` has not collected yet.
    public var hasPending: Bool {
        posts.load(ordering: .acquiring) != taken.load(ordering: .relaxed) || Signals.total != signalsTaken.load(ordering: .relaxed)
    }

    /// Every command posted since the last call, oldest first.
    public func take() -> [ControlCommand] {
        let seen = posts.load(ordering: .acquiring)
        let signalled = Signals.total
        guard seen != taken.load(ordering: .relaxed) || signalled != signalsTaken.load(ordering: .relaxed) else { return [] }
        taken.store(seen, ordering: .relaxed)
        signalsTaken.store(signalled, ordering: .relaxed)
        SystemCall.drain(wakeFD)
        return pending.withLock { commands in
            defer { commands.removeAll() }
            return commands
        }
    }

    /// Waits up to `milliseconds` (-1: for good) for a command to be posted.
    public func wait(milliseconds: Int32) {
        _ = SystemCall.waitReadable(wakeFD, milliseconds: milliseconds)
    }
}
