import Foundation

extension Thread {
    /// A thread whose name the system sees too (`top -H`, `ps -L`, gdb, /proc), which
    /// Foundation's `name` alone does not set on Linux. Names are cut to 15 bytes.
    public convenience init(named name: String, block: @escaping @Sendable () -> Void) {
        self.init {
            Thread.nameCurrentForSystem(name)
            block()
        }
        self.name = name
    }

    /// Writes the calling thread's name to `/proc/thread-self/comm`; nothing when it cannot.
    public static func nameCurrentForSystem(_ name: String) {
        guard let fd = try? SystemCall.open("/proc/thread-self/comm", O_WRONLY) else { return }
        try? SystemCall.writeAll(fd, Array(name.utf8.prefix(15)))
        SystemCall.close(fd)
    }
}

/// A thread its starter waits for: `join(within:)` returns true once the thread has ended
/// (returned, and its stack and thread-locals are gone), so nothing of it runs while what it
/// used is closed or the process exits. Foundation's `Thread` cannot be joined: the voice
/// control's thread dropped the last reference to its control (the open microphone, the
/// recognizer) as it ended, and that teardown, in the ALSA and PulseAudio libraries, ran
/// while the program was already exiting: a session crashed as it ended (CI, stop 29;
/// in 2 of 5 short sessions here the control was released after the program's last line).
public final class JoinableThread: @unchecked Sendable {
    // @unchecked: `handle` is written once by init; `ended` is a semaphore; `joined` is
    // only touched by `join`, which one thread calls.
    private var handle = pthread_t()
    private let ended = DispatchSemaphore(value: 0)
    /// What `join` found: ended and joined, or left.
    private var joined: Bool?

    /// Starts `body` on a new thread named `name` (as `Thread(named:)` names it); nil when
    /// the system cannot make one.
    public init?(named name: String, _ body: @escaping @Sendable () -> Void) {
        let ended = self.ended
        let work = Unmanaged.passRetained(Work {
            Thread.nameCurrentForSystem(name)
            body()
            ended.signal()
        })
        guard pthread_create(&handle, nil, { context in
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, work.toOpaque()) == 0 else {
            work.release()
            return nil
        }
    }

    /// Waits up to `seconds` for the thread to end and joins it; false when it has not ended
    /// by then (it is left to end on its own: a stop never hangs on a stuck thread). Asked
    /// again, says what it found the first time.
    public func join(within seconds: Double) -> Bool {
        if let joined { return joined }
        guard ended.wait(timeout: .now() + seconds) == .success else {
            pthread_detach(handle)
            joined = false
            return false
        }
        // The body has returned; what is left of the thread is its return.
        pthread_join(handle, nil)
        joined = true
        return true
    }

    private final class Work {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
}
