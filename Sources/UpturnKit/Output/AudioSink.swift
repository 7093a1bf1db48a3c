/// Where rendered frames go: an ALSA device, a WAV file, or memory in tests.
/// Mono, signed 16-bit, at `rate`.
public protocol AudioSink: AnyObject {
    var rate: Int { get }
    /// Writes frames, blocking as a real device does, and returns how many it took: all of
    /// them, unless `wakeFD` became readable while it waited for room (a control arrived).
    func write(_ samples: UnsafeBufferPointer<Int16>, wakeFD: Int32?) throws(UpturnError) -> Int
    /// Discards what is queued at once (pause, skip); the sink stays open for more.
    func drop()
    /// Opens a lost device again; throws while it is still gone.
    func reopen() throws(UpturnError)
    /// Frames written that have not been heard yet.
    func pendingFrames() -> Int
    /// Plays out what is queued, then closes.
    func finish() throws(UpturnError)
    /// Closes at once, dropping what is queued. Safe to call more than once.
    func abort()
}

/// Keeps every frame in memory: for tests.
public final class MemorySink: AudioSink {
    public let rate: Int
    public private(set) var samples: [Int16] = []
    public private(set) var finished = false

    public init(rate: Int) { self.rate = rate }

    public func write(_ samples: UnsafeBufferPointer<Int16>, wakeFD: Int32?) throws(UpturnError) -> Int {
        self.samples.append(contentsOf: samples)
        return samples.count
    }

    public func drop() {}
    public func reopen() throws(UpturnError) {}

    public func pendingFrames() -> Int { 0 }
    public func finish() throws(UpturnError) { finished = true }
    public func abort() { finished = true }
}

extension AudioSink {
    /// Writes every frame.
    public func write(_ samples: UnsafeBufferPointer<Int16>) throws(UpturnError) {
        var offset = 0
        while offset < samples.count {
            offset += try write(UnsafeBufferPointer(rebasing: samples[offset...]), wakeFD: nil)
        }
    }
}
