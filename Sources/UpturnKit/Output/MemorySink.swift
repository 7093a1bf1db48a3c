/// Keeps every frame in memory: for tests.
public final class MemorySink: AudioSink {
    public let rate: Int
    public private(set) var samples: [Int16] = []
    public private(set) var finished = false

    public let blockFrames = 1024

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
