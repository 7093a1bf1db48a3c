import CALSA
import Foundation

/// Plays frames on an ALSA PCM device, opened once per session and kept running.
///
/// Hardware parameters are set one by one (not with `snd_pcm_set_params`, whose start
/// threshold of about a whole buffer holds back short cues); playback starts as soon as one
/// period is queued. Every PCM error goes through `recover`, the one place that maps an
/// error to an action, as mpv's ALSA output does.
public final class ALSASink: AudioSink {
    public let rate: Int
    public let device: String
    public private(set) var periodFrames = 0
    public private(set) var bufferFrames = 0
    private var pcm: OpaquePointer?

    /// What to do about a failed PCM call.
    enum Recovery: Equatable {
        /// Try the write again (after an interrupted call or a recovered underrun/suspend).
        case retry
        /// Wait for room in the buffer, then retry.
        case wait
        /// The device is gone.
        case lost
        /// Not recoverable in place (a sound server that died answers with odd codes): the
        /// write reports the device lost, and the player reopens it.
        case fail
    }

    /// The device's poll descriptors, asked for once per open.
    private var pollDescriptors: [pollfd] = []
    private let bufferMilliseconds: Int
    private let periodMilliseconds: Int

    public init(device: String, rate: Int, bufferMilliseconds: Int = 200, periodMilliseconds: Int = 50) throws(UpturnError) {
        self.device = device
        self.rate = rate
        self.bufferMilliseconds = bufferMilliseconds
        self.periodMilliseconds = periodMilliseconds
        upturn_alsa_silence_errors()
        try open()
    }

    /// Opens the device in non-blocking mode: waits for room happen in `poll`, next to the
    /// control queue's eventfd, so a control is never stuck behind a full buffer.
    private func open() throws(UpturnError) {
        pollDescriptors = []
        var handle: OpaquePointer?
        let opened = snd_pcm_open(&handle, device, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)
        guard opened >= 0, let handle else {
            throw Self.unavailable(device, ALSAError(code: opened))
        }
        pcm = handle
        do {
            try configure(bufferMilliseconds: bufferMilliseconds, periodMilliseconds: periodMilliseconds)
        } catch {
            snd_pcm_close(handle)
            pcm = nil
            throw error
        }
    }

    public func reopen() throws(UpturnError) {
        if let pcm {
            snd_pcm_close(pcm)
            self.pcm = nil
        }
        try open()
    }

    deinit { abort() }

    static func unavailable(_ device: String, _ error: ALSAError) -> UpturnError {
        UpturnError.unavailable(
            "cannot play on audio device '\(device)': \(error); choose one with --device (`upturn devices` lists them), or write a file with `upturn render PLAN --output FILE.wav`"
        )
    }

    private func check(_ code: Int32, _ what: String) throws(UpturnError) {
        if code < 0 {
            throw UpturnError.unavailable(
                "audio device '\(device)' refused \(what): \(ALSAError(code: code)); try another --device, or `upturn render`")
        }
    }

    private func configure(bufferMilliseconds: Int, periodMilliseconds: Int) throws(UpturnError) {
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
        periodFrames = Int(period)
        bufferFrames = Int(buffer)

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
    }

    /// Maps a failed PCM call to an action, recovering underrun and suspend in place.
    /// The corresponding C function is `snd_pcm_recover`.
    func recover(_ error: ALSAError) -> Recovery {
        switch error {
        case .wouldBlock:
            return .wait
        case .deviceLost:
            return .lost
        case .underrun, .suspended, .interrupted:
            return snd_pcm_recover(pcm, error.code, 1) >= 0 ? .retry : .fail
        default:
            // A disconnected device may also show as a state with other codes.
            if let pcm, snd_pcm_state(pcm) == SND_PCM_STATE_DISCONNECTED { return .lost }
            return .fail
        }
    }

    public func write(_ samples: UnsafeBufferPointer<Int16>, wakeFD: Int32?) throws(UpturnError) -> Int {
        guard let pcm else { throw UpturnError.lost("audio device '\(device)' is closed") }
        var offset = 0
        var failures = 0
        while offset < samples.count {
            // Ask for room first: a write that can only fail with -EAGAIN costs more than this.
            let room = snd_pcm_avail_update(pcm)
            if room >= 0 && room < min(samples.count - offset, periodFrames) && snd_pcm_state(pcm) == SND_PCM_STATE_RUNNING {
                if try waitForRoom(wakeFD: wakeFD) { return offset }
                continue
            }
            let n = snd_pcm_writei(pcm, samples.baseAddress! + offset, snd_pcm_uframes_t(samples.count - offset))
            if n >= 0 {
                offset += Int(n)
                failures = 0
                continue
            }
            let error = ALSAError(code: Int32(n))
            switch recover(error) {
            case .retry:
                failures += 1
                if failures > 100 { throw UpturnError.lost("audio device '\(device)' keeps failing: \(error)") }
            case .wait:
                if try waitForRoom(wakeFD: wakeFD) { return offset }
            case .lost, .fail:
                throw UpturnError.lost("audio device '\(device)' was lost: \(error)")
            }
        }
        return offset
    }

    /// Polls the device and the wake descriptor; true when woken for a control.
    /// The corresponding C function is `snd_pcm_poll_descriptors`.
    private func waitForRoom(wakeFD: Int32?) throws(UpturnError) -> Bool {
        guard let pcm else { return false }
        if pollDescriptors.isEmpty {
            let count = Int(snd_pcm_poll_descriptors_count(pcm))
            var fds = [pollfd](repeating: pollfd(), count: max(0, count))
            let filled = fds.withUnsafeMutableBufferPointer { Int(snd_pcm_poll_descriptors(pcm, $0.baseAddress, UInt32(count))) }
            pollDescriptors = Array(fds.prefix(max(0, filled)))
        }
        let pcmCount = pollDescriptors.count
        var fds = pollDescriptors + [pollfd()]
        if let wakeFD {
            fds[pcmCount] = pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)
        }
        let total = pcmCount + (wakeFD == nil ? 0 : 1)
        let ready = poll(&fds, nfds_t(total), 1000)
        if ready < 0 { return errno == EINTR }
        if let _ = wakeFD, fds[pcmCount].revents & Int16(POLLIN) != 0 { return true }
        var revents: UInt16 = 0
        let status = fds.withUnsafeMutableBufferPointer { snd_pcm_poll_descriptors_revents(pcm, $0.baseAddress, UInt32(pcmCount), &revents) }
        if status < 0 || revents & UInt16(POLLERR) != 0 || revents & UInt16(POLLHUP) != 0 {
            // An error state shows at the next write; a gone device shows here.
            if snd_pcm_state(pcm) == SND_PCM_STATE_DISCONNECTED || revents & UInt16(POLLHUP) != 0 {
                throw UpturnError.lost("audio device '\(device)' was lost")
            }
        }
        return false
    }

    /// Cuts the sound at once and makes the device ready for more.
    /// The corresponding C functions are `snd_pcm_drop` and `snd_pcm_prepare`.
    public func drop() {
        guard let pcm else { return }
        snd_pcm_drop(pcm)
        snd_pcm_prepare(pcm)
    }

    public func pendingFrames() -> Int {
        guard let pcm else { return 0 }
        var delay: snd_pcm_sframes_t = 0
        return snd_pcm_delay(pcm, &delay) >= 0 ? max(0, Int(delay)) : 0
    }

    public func finish() throws(UpturnError) {
        guard let pcm else { return }
        // Drain blocks only in blocking mode.
        snd_pcm_nonblock(pcm, 0)
        snd_pcm_drain(pcm)
        snd_pcm_close(pcm)
        self.pcm = nil
    }

    public func abort() {
        guard let pcm else { return }
        snd_pcm_drop(pcm)
        snd_pcm_close(pcm)
        self.pcm = nil
    }

    /// ALSA's playback devices, as `aplay -L` lists them: (name, description).
    /// The corresponding C function is `snd_device_name_hint`.
    public static func devices() -> [(name: String, description: String)] {
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
