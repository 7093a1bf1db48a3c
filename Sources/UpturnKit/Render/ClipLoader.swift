import Foundation
import Synchronization

/// Where a renderer takes a clip's samples: now, or not yet (nil: the renderer plays nothing
/// and is asked again).
public protocol ClipSupply: AnyObject {
    func clip(_ source: ClipSource) throws(UpturnError) -> [Int16]?
}

/// A provider asked on the caller's own thread, and waited for (offline renders, tests).
final class DirectClips: ClipSupply {
    let provider: any ClipProviding
    init(_ provider: any ClipProviding) { self.provider = provider }
    func clip(_ source: ClipSource) throws(UpturnError) -> [Int16]? { try provider.samples(of: source) }
}

/// Loads a session's clips ahead of where it plays, on a thread of its own, so the audio
/// thread only mixes: it never reads the prompt cache from disk, decodes a recording or
/// waits for espeak-ng (on a Pi's SD card under load, any of them can outlast the device's
/// buffer). Kept ready: the main timeline's next 3 s, the clips of the interjections and
/// the closing ("Slowly return upright" must never wait for a disk), then the main
/// timeline's from a little behind the position to `aheadSeconds` past it; a clip the audio
/// thread asked for and did not find comes first. Clips that fall out of the window are let
/// go, so memory stays flat.
///
/// The audio thread asks with `clip(_:)`, which only looks: a clip not yet loaded is nil,
/// and the player goes on hearing controls (`readyFD` turns readable when a clip arrives)
/// instead of writing. So a slow disk delays a cue, never cuts it, and a stop is heard at once.
public final class ClipLoader: ClipSupply, @unchecked Sendable {
    // @unchecked: `provider` (a ClipLibrary is not thread-safe) is used by the loading
    // thread alone once `start()` is called, until `stop()` returns; everything else the two
    // threads share is in `state` (a Mutex) or is immutable.
    private struct State {
        var ready: [ClipSource: [Int16]] = [:]
        var failed: [ClipSource: UpturnError] = [:]
        /// Asked for by the audio thread and not there: loaded first.
        var asked: [ClipSource] = []
        var position = 0
        var stopping = false
        var loaded = 0
    }
    private let state = Mutex(State())
    private let provider: any ClipProviding
    /// The main timeline's clips, in time order.
    private let main: [(start: Int, end: Int, source: ClipSource)]
    private let pinned: [ClipSource]
    private let ahead: Int
    private let behind: Int
    /// The next 3 s: loaded before the pinned clips.
    private let soonFrames: Int
    private let wake = DispatchSemaphore(value: 0)
    private let ended = DispatchSemaphore(value: 0)
    private let signalled = Atomic<Int>(0)
    /// Rung when a clip has been loaded (nil: no pipe could be made; the audio thread then
    /// looks again every 20 ms).
    private let arrived: Doorbell?
    private var started = false

    /// How far past the position clips are kept ready: 20 s of the timeline.
    public static let aheadSeconds = 20.0
    /// And behind it (`back` goes to the step's start): 10 s.
    public static let behindSeconds = 10.0

    /// `main`: the timeline's events; `pinned`: the events always kept ready (the closing,
    /// the interjections).
    public init(
        provider: any ClipProviding, main: [TimelineEvent], pinned: [TimelineEvent], rate: Int,
        aheadSeconds: Double = ClipLoader.aheadSeconds, behindSeconds: Double = ClipLoader.behindSeconds
    ) {
        self.provider = provider
        self.main = main.compactMap { event in event.clip.map { (event.frame, event.end, $0) } }.sorted { $0.start < $1.start }
        var seen: Set<ClipSource> = []
        self.pinned = pinned.compactMap(\.clip).filter { seen.insert($0).inserted }
        ahead = Int(aheadSeconds * Double(rate))
        behind = Int(behindSeconds * Double(rate))
        soonFrames = 3 * rate
        arrived = try? Doorbell()
    }

    /// Readable when a clip has been loaded since the last `drain()`: the audio thread polls
    /// it beside its controls while it waits for one.
    public var readyFD: Int32 { arrived?.fd ?? -1 }

    /// How many clips have been loaded (tests, the log).
    public var loaded: Int { state.withLock { $0.loaded } }

    /// Starts loading, on a thread of its own.
    public func start() {
        guard !started else { return }
        started = true
        let thread = Thread { [self] in
            run()
            ended.signal()
        }
        thread.name = "upturn-clips"
        thread.start()
    }

    /// Stops loading; waits up to `seconds` for a load under way to end (a provider that
    /// hangs is left behind, never waited on for good). True when the thread ended.
    @discardableResult
    public func stop(waitingSeconds seconds: Double = 5) -> Bool {
        state.withLock { $0.stopping = true }
        wake.signal()
        guard started else { return true }
        started = false
        return ended.wait(timeout: .now() + seconds) == .success
    }

    /// The audio thread: where the main timeline plays now. The loader is woken when the
    /// position has moved a second or jumped.
    public func moved(to frame: Int) {
        let last = signalled.load(ordering: .relaxed)
        state.withLock { $0.position = frame }
        if abs(frame - last) >= behind / 10 {
            signalled.store(frame, ordering: .relaxed)
            wake.signal()
        }
    }

    /// The audio thread: the clip if it is loaded, nil if not yet (it is then loaded first).
    /// Never waits for the loading thread, which holds the lock only to file a clip away.
    public func clip(_ source: ClipSource) throws(UpturnError) -> [Int16]? {
        let found: Result<[Int16]?, UpturnError> = state.withLock { state in
            if let samples = state.ready[source] {
                // Taken: an asked clip is kept until then, then only while in the window.
                if !state.asked.isEmpty { state.asked.removeAll { $0 == source } }
                return .success(samples)
            }
            if let error = state.failed[source] { return .failure(error) }
            if !state.asked.contains(source) { state.asked.append(source) }
            return .success(nil)
        }
        let samples = try found.get()
        if samples == nil { wake.signal() }
        return samples
    }

    /// Whether `source` is not kept now (tests).
    func isLetGo(_ source: ClipSource) -> Bool { state.withLock { $0.ready[source] == nil } }

    /// Empties `readyFD` (the audio thread, before it waits on it again).
    public func drain() { arrived?.drain() }

    private func run() {
        while true {
            let (position, asked, stopping, have) = state.withLock { state in
                (state.position, state.asked, state.stopping, Set(state.ready.keys).union(state.failed.keys))
            }
            if stopping { return }
            let window = main.filter { $0.start < position + ahead && $0.end > position - behind }.map(\.source)
            let keep = Set(pinned).union(window).union(asked)
            // What plays in the next seconds first (the session's first words wait for
            // nothing else), then what a stop or a pause may need at once, then the rest.
            let soon = main.filter { $0.start < position + soonFrames && $0.end > position }.map(\.source)
            guard let next = asked.first(where: { !have.contains($0) }) ?? soon.first(where: { !have.contains($0) })
                ?? pinned.first(where: { !have.contains($0) }) ?? window.first(where: { !have.contains($0) })
            else {
                state.withLock { state in
                    state.ready = state.ready.filter { keep.contains($0.key) }
                    state.asked.removeAll { state.failed[$0] != nil }
                }
                // Asleep until the position moves a second, a clip is asked for, or stop.
                wake.wait()
                continue
            }
            let result: Result<[Int16], UpturnError>
            do throws(UpturnError) { result = .success(try provider.samples(of: next)) } catch { result = .failure(error) }
            state.withLock { state in
                switch result {
                case .success(let samples): state.ready[next] = samples
                case .failure(let error): state.failed[next] = error
                }
                state.loaded += 1
                state.ready = state.ready.filter { keep.contains($0.key) || $0.key == next }
            }
            arrived?.ring()
        }
    }
}
