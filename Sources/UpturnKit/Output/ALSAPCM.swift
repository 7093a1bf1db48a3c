import CALSA
import Foundation

/// A real ALSA playback PCM: opened non-blocking, mono S16 at a rate, with its hardware
/// parameters set one by one (not with `snd_pcm_set_params`, whose start threshold of about
/// a whole buffer holds back short cues) and a start threshold of one period.
final class ALSAPCM: PCM {
    private var handle: OpaquePointer?
    let periodFrames: Int
    let bufferFrames: Int

    /// Opens and sets up `device`; the error names the device and what it refused.
    init(device: String, rate: Int, bufferMilliseconds: Int, periodMilliseconds: Int) throws(UpturnError) {
        upturn_alsa_silence_errors()
        var opened: OpaquePointer?
        let code = snd_pcm_open(&opened, device, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)
        guard code >= 0, let opened else { throw ALSASink.unavailable(device, ALSAError(code: code)) }
        do {
            (periodFrames, bufferFrames) = try Self.configure(
                opened, rate: rate, bufferMilliseconds: bufferMilliseconds, periodMilliseconds: periodMilliseconds
            ) { what, error in
                UpturnError.unavailable("audio device '\(device)' refused \(what): \(error); try another --device, or `upturn render`")
            }
        } catch {
            snd_pcm_close(opened)
            throw error
        }
        handle = opened
    }

    deinit { dropAndClose() }

    /// Sets up a PCM (playback or capture) one parameter at a time; `refused` makes the error
    /// for what the device refused.
    static func configure(
        _ pcm: OpaquePointer, rate: Int, bufferMilliseconds: Int, periodMilliseconds: Int,
        refused: (String, ALSAError) -> UpturnError
    ) throws(UpturnError) -> (period: Int, buffer: Int) {
        func check(_ code: Int32, _ what: String) throws(UpturnError) {
            if code < 0 { throw refused(what, ALSAError(code: code)) }
        }
        var hwPointer: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&hwPointer) >= 0, let hw = hwPointer else {
            throw UpturnError.internalError("out of memory for ALSA parameters")
        }
        defer { snd_pcm_hw_params_free(hw) }
        try check(snd_pcm_hw_params_any(pcm, hw), "any parameters")
        try check(snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED), "interleaved access")
        try check(snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE), "16-bit samples")
        try check(snd_pcm_hw_params_set_channels(pcm, hw, 1), "one channel")
        try check(snd_pcm_hw_params_set_rate_resample(pcm, hw, 1), "resampling")
        try check(snd_pcm_hw_params_set_rate(pcm, hw, UInt32(rate), 0), "a rate of \(rate) Hz")
        var bufferTime = UInt32(bufferMilliseconds * 1000)
        var periodTime = UInt32(periodMilliseconds * 1000)
        var direction: Int32 = 0
        try check(snd_pcm_hw_params_set_buffer_time_near(pcm, hw, &bufferTime, &direction), "a buffer of \(bufferMilliseconds) ms")
        try check(snd_pcm_hw_params_set_period_time_near(pcm, hw, &periodTime, &direction), "a period of \(periodMilliseconds) ms")
        try check(snd_pcm_hw_params(pcm, hw), "its parameters")
        var period: snd_pcm_uframes_t = 0
        var buffer: snd_pcm_uframes_t = 0
        snd_pcm_hw_params_get_period_size(hw, &period, &direction)
        snd_pcm_hw_params_get_buffer_size(hw, &buffer)

        var swPointer: OpaquePointer?
        guard snd_pcm_sw_params_malloc(&swPointer) >= 0, let sw = swPointer else {
            throw UpturnError.internalError("out of memory for ALSA parameters")
        }
        defer { snd_pcm_sw_params_free(sw) }
        try check(snd_pcm_sw_params_current(pcm, sw), "software parameters")
        // Start as soon as one period is queued, so a short cue is never held back.
        try check(snd_pcm_sw_params_set_start_threshold(pcm, sw, period), "a start threshold")
        try check(snd_pcm_sw_params_set_avail_min(pcm, sw, period), "a wake-up size")
        try check(snd_pcm_sw_params(pcm, sw), "its software parameters")
        return (Int(period), Int(buffer))
    }

    var state: PCMState {
        guard let handle else { return .disconnected }
        switch snd_pcm_state(handle) {
        case SND_PCM_STATE_RUNNING: return .running
        case SND_PCM_STATE_XRUN: return .underrun
        case SND_PCM_STATE_SUSPENDED: return .suspended
        case SND_PCM_STATE_DISCONNECTED: return .disconnected
        default: return .other
        }
    }

    func availableFrames() -> Int { Int(snd_pcm_avail_update(handle)) }

    func write(_ frames: UnsafeBufferPointer<Int16>) -> Int {
        Int(snd_pcm_writei(handle, frames.baseAddress, snd_pcm_uframes_t(frames.count)))
    }

    func recover(_ code: Int32) -> Int32 { snd_pcm_recover(handle, code, 1) }

    func pollDescriptors() -> [pollfd] {
        let count = Int(snd_pcm_poll_descriptors_count(handle))
        var fds = [pollfd](repeating: pollfd(), count: max(0, count))
        let filled = fds.withUnsafeMutableBufferPointer { Int(snd_pcm_poll_descriptors(handle, $0.baseAddress, UInt32(count))) }
        return Array(fds.prefix(max(0, filled)))
    }

    func pollEvents(_ fds: [pollfd]) -> Int32 {
        var polled = fds
        var events: UInt16 = 0
        let status = polled.withUnsafeMutableBufferPointer { snd_pcm_poll_descriptors_revents(handle, $0.baseAddress, UInt32($0.count), &events) }
        return status < 0 ? status : Int32(events)
    }

    func dropAndPrepare() {
        snd_pcm_drop(handle)
        snd_pcm_prepare(handle)
    }

    func delay() -> Int {
        var frames: snd_pcm_sframes_t = 0
        return snd_pcm_delay(handle, &frames) >= 0 ? max(0, Int(frames)) : 0
    }

    func drainAndClose() {
        guard let handle else { return }
        // Drain blocks only in blocking mode.
        snd_pcm_nonblock(handle, 0)
        snd_pcm_drain(handle)
        snd_pcm_close(handle)
        self.handle = nil
    }

    func dropAndClose() {
        guard let handle else { return }
        snd_pcm_drop(handle)
        snd_pcm_close(handle)
        self.handle = nil
    }

    /// ALSA's playback devices, as `aplay -L` lists them: (name, description).
    /// The corresponding C function is `snd_device_name_hint`.
    static func devices() -> [(name: String, description: String)] {
        upturn_alsa_silence_errors()
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        guard snd_device_name_hint(-1, "pcm", &hints) >= 0, let hints else { return [] }
        defer { snd_device_name_free_hint(hints) }
        var result: [(String, String)] = []
        var i = 0
        while let hint = hints[i] {
            i += 1
            func field(_ id: String) -> String? {
                guard let value = snd_device_name_get_hint(hint, id) else { return nil }
                defer { free(value) }
                return String(cString: value)
            }
            if let io = field("IOID"), io != "Output" { continue }
            guard let name = field("NAME") else { continue }
            let description = (field("DESC") ?? "").replacingOccurrences(of: "\n", with: " — ")
            result.append((name, description))
        }
        return result
    }
}
