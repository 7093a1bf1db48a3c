/// Where rendered frames go: an ALSA device, a WAV file, or memory in tests.
/// Mono, signed 16-bit, at `rate`.
public protocol AudioSink: AnyObject {
    var rate: Int { get }
    /// Writes every frame, blocking as a real device does.
    func write(_ samples: UnsafeBufferPointer<Int16>) throws(UpturnError)
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

    public func write(_ samples: UnsafeBufferPointer<Int16>) throws(UpturnError) {
        self.samples.append(contentsOf: samples)
    }

    public func pendingFrames() -> Int { 0 }
    public func finish() throws(UpturnError) { finished = true }
    public func abort() { finished = true }
}
