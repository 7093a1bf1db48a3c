import Glibc

/// The PCM states `ALSASink` acts on. The corresponding C type is `snd_pcm_state_t`.
enum PCMState: Equatable, Sendable {
    case running
    /// Underrun: the device ran dry (SND_PCM_STATE_XRUN).
    case underrun
    case suspended
    /// The device is gone (SND_PCM_STATE_DISCONNECTED).
    case disconnected
    /// Open, set up, prepared, draining or paused: none of them needs a recovery.
    case other
}

/// The handful of ALSA PCM calls `ALSASink` makes once a device is open, behind a protocol so
/// its write and recovery ladder can be tested against a scripted fake (`-EAGAIN`, `-EPIPE`,
/// `-ESTRPIPE`, `-ENODEV`, short writes, a hung-up poll). Codes are ALSA's: `-errno`.
protocol PCM: AnyObject {
    /// The period and buffer the device agreed to, in frames.
    var periodFrames: Int { get }
    var bufferFrames: Int { get }
    var state: PCMState { get }
    /// Frames there is room for, or a negative code. The C function is `snd_pcm_avail_update`.
    func availableFrames() -> Int
    /// Frames taken, or a negative code. The C function is `snd_pcm_writei`.
    func write(_ frames: UnsafeBufferPointer<Int16>) -> Int
    /// Recovers from an underrun, a suspend or an interrupted call; 0, or a negative code.
    /// The C function is `snd_pcm_recover`.
    func recover(_ code: Int32) -> Int32
    /// The descriptors to poll for room. The C function is `snd_pcm_poll_descriptors`.
    func pollDescriptors() -> [pollfd]
    /// What polled descriptors mean for the PCM (POLLOUT, POLLERR, POLLHUP), or a negative
    /// code. The C function is `snd_pcm_poll_descriptors_revents`.
    func pollEvents(_ fds: [pollfd]) -> Int32
    /// Cuts what is queued and makes ready for more (`snd_pcm_drop`, `snd_pcm_prepare`).
    func dropAndPrepare()
    /// Frames written but not heard yet. The C function is `snd_pcm_delay`.
    func delay() -> Int
    /// Plays out what is queued (blocking), then closes (`snd_pcm_drain`, `snd_pcm_close`).
    func drainAndClose()
    /// Closes at once, dropping what is queued (`snd_pcm_drop`, `snd_pcm_close`).
    func dropAndClose()
}
