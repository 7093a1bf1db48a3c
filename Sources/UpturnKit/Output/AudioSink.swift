/// Where rendered frames go: an ALSA device, a WAV file, or memory in tests.
/// Mono, signed 16-bit, at `rate`.
public protocol AudioSink: AnyObject {
    var rate: Int { get }
    /// How many frames the player renders and writes at a time: a device's period, so a
    /// control is heard within one; larger for a file, which is written as fast as it renders.
    var blockFrames: Int { get }
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

extension AudioSink {
    /// Writes every frame.
    public func write(_ samples: UnsafeBufferPointer<Int16>) throws(UpturnError) {
        var offset = 0
        while offset < samples.count {
            offset += try write(UnsafeBufferPointer(rebasing: samples[offset...]), wakeFD: nil)
        }
    }
}
