import Foundation

/// Plays frames on an ALSA PCM device, opened once per session and kept running.
///
/// Playback starts as soon as one period is queued (`ALSAPCM`). Every PCM error goes through
/// `recover`, the one place that maps an error to an action, as mpv's ALSA output does; the
/// PCM itself sits behind the `PCM` protocol, so that ladder is tested against a fake.
public final class ALSASink: AudioSink {
    public let rate: Int
    public let device: String
    public var periodFrames: Int { pcm?.periodFrames ?? 0 }
    public var bufferFrames: Int { pcm?.bufferFrames ?? 0 }
    public var blockFrames: Int { max(256, periodFrames) }
    private var pcm: (any PCM)?
    private let openPCM: () throws(UpturnError) -> any PCM

    /// What to do about a failed PCM call.
    enum Recovery: Equatable {
        /// Try the write again (after an interrupted call or a recovered underrun/suspend).
        case retry
        /// Wait for room in the buffer, then retry.
        case wait
        /// Give the device up: the write reports it lost, and the player reopens it.
        case lost(DeviceLoss)
    }

    /// The device's poll descriptors, asked for once per open.
    private var pollDescriptors: [pollfd] = []
    /// Recoveries in a row after which a device that keeps failing is given up.
    static let recoveryLimit = 100

    public convenience init(device: String, rate: Int, bufferMilliseconds: Int = 200, periodMilliseconds: Int = 50) throws(UpturnError) {
        try self.init(device: device, rate: rate) { () throws(UpturnError) -> any PCM in
            try ALSAPCM(device: device, rate: rate, bufferMilliseconds: bufferMilliseconds, periodMilliseconds: periodMilliseconds)
        }
    }

    /// A sink on PCMs that `open` makes: the first now, another on every `reopen()`.
    init(device: String, rate: Int, open: @escaping () throws(UpturnError) -> any PCM) throws(UpturnError) {
        self.device = device
        self.rate = rate
        self.openPCM = open
        pcm = try open()
    }

    public func reopen() throws(UpturnError) {
        pcm?.dropAndClose()
        pcm = nil
        pollDescriptors = []
        pcm = try openPCM()
    }

    deinit { abort() }

    static func unavailable(_ device: String, _ error: ALSAError) -> UpturnError {
        UpturnError.unavailable(
            "cannot play on audio device '\(device)': \(error); choose one with --device (`upturn devices` lists them), or write a file with `upturn render PLAN --output FILE.wav`"
        )
    }

    /// Maps a failed PCM call to an action, recovering underrun and suspend in place.
    func recover(_ error: ALSAError, on pcm: any PCM) -> Recovery {
        switch error {
        case .wouldBlock:
            return .wait
        case .deviceLost:
            return .lost(.failed(error.device))
        case .underrun, .suspended, .interrupted:
            return pcm.recover(error.code) >= 0 ? .retry : .lost(.failed(error.device))
        default:
            // A disconnected device may also show as a state with other codes.
            return .lost(pcm.state == .disconnected ? .disconnected : .failed(error.device))
        }
    }

    public func write(_ samples: UnsafeBufferPointer<Int16>, wakeFD: Int32?) throws(UpturnError) -> Int {
        guard let pcm else { throw UpturnError.lost("audio device '\(device)' is closed", .closed) }
        var offset = 0
        var failures = 0
        while offset < samples.count {
            // Ask for room first: a write that can only fail with -EAGAIN costs more than this.
            let room = pcm.availableFrames()
            if room >= 0 && room < min(samples.count - offset, pcm.periodFrames) && pcm.state == .running {
                if try waitForRoom(pcm, wakeFD: wakeFD) { return offset }
                continue
            }
            let n = pcm.write(UnsafeBufferPointer(rebasing: samples[offset...]))
            if n >= 0 {
                offset += n
                failures = 0
                continue
            }
            let error = ALSAError(code: Int32(n))
            switch recover(error, on: pcm) {
            case .retry:
                failures += 1
                if failures > Self.recoveryLimit {
                    throw UpturnError.lost("audio device '\(device)' keeps failing: \(error)", .keepsFailing(error.device))
                }
            case .wait:
                if try waitForRoom(pcm, wakeFD: wakeFD) { return offset }
            case .lost(let cause):
                throw UpturnError.lost("audio device '\(device)' was lost: \(error)", cause)
            }
        }
        return offset
    }

    /// Polls the device and the wake descriptor; true when woken for a control.
    private func waitForRoom(_ pcm: any PCM, wakeFD: Int32?) throws(UpturnError) -> Bool {
        if pollDescriptors.isEmpty { pollDescriptors = pcm.pollDescriptors() }
        var fds = pollDescriptors
        if let wakeFD { fds.append(pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)) }
        guard (try? SystemCall.poll(&fds, milliseconds: 1000)) != nil else { return false }
        if wakeFD != nil, fds[fds.count - 1].revents & Int16(POLLIN) != 0 { return true }
        let events = pcm.pollEvents(Array(fds.prefix(pollDescriptors.count)))
        if events < 0 || events & Int32(POLLERR) != 0 || events & Int32(POLLHUP) != 0 {
            // An error state shows at the next write; a gone device shows here.
            if pcm.state == .disconnected || (events >= 0 && events & Int32(POLLHUP) != 0) {
                throw UpturnError.lost("audio device '\(device)' was lost", .disconnected)
            }
        }
        return false
    }

    /// Cuts the sound at once and makes the device ready for more.
    public func drop() { pcm?.dropAndPrepare() }

    public func pendingFrames() -> Int { pcm?.delay() ?? 0 }

    public func finish() throws(UpturnError) {
        pcm?.drainAndClose()
        pcm = nil
    }

    public func abort() {
        pcm?.dropAndClose()
        pcm = nil
    }

    /// ALSA's playback devices, as `aplay -L` lists them: (name, description).
    public static func devices() -> [(name: String, description: String)] { ALSAPCM.devices() }
}
