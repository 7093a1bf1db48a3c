import CALSA
import Foundation

/// A microphone through ALSA: 16 kHz mono S16 through the plug layer (any card, any rate),
/// opened non-blocking and read on the listening thread, with a stop pipe polled beside it.
final class ALSACapture {
    let device: String
    private var handle: OpaquePointer?
    /// Overruns recovered in place (the thread was late; frames were lost, never a command's
    /// end: the recognizer's silence detection spans them).
    private(set) var overruns = 0

    enum Read {
        case frames(Int)
        /// The stop pipe woke the wait.
        case stopped
        /// Nothing yet (a poll timed out).
        case nothing
        /// The microphone is gone (pulled, or its server went away).
        case lost(ALSAError)
    }

    /// The device's name as opened: `device`, or its plug-layer form (`converted`).
    let opened: String
    /// The plug-layer device listened through when `device` itself does not take 16 kHz
    /// mono S16 (a `hw:` device, or a stereo-only USB microphone): nil when it does.
    var converted: String? { opened == device ? nil : opened }

    /// The line said when the plug layer converts.
    var convertedLine: String? {
        converted.map { "microphone '\(device)' does not give 16 kHz mono 16-bit itself; heard through \($0), which converts" }
    }

    init(device: String) throws(UpturnError) {
        self.device = device
        upturn_alsa_silence_errors()
        // A device that cannot give 16 kHz mono S16 itself is heard through ALSA's plug
        // layer, which converts rate, channels and format: resampled, never refused.
        var firstError: UpturnError?
        for name in [device] + (Self.plugged(device).map { [$0] } ?? []) {
            switch Self.open(name) {
            case .success(let pcm):
                handle = pcm
                opened = name
                return
            case .failure(let failure):
                guard failure.kind == .refused else { throw firstError ?? failure.error }
                firstError = firstError ?? failure.error
            }
        }
        throw firstError ?? Self.unavailable(device, ALSAError(code: -EINVAL))
    }

    /// Why a device could not be opened: it is not there (or busy), or it is there and
    /// refused 16 kHz mono S16 (then its plug-layer form is tried).
    private struct OpenError: Error {
        enum Kind { case missing, refused }
        var kind: Kind
        var error: UpturnError
    }

    /// `hw:ARGS` as `plughw:ARGS`; any other name without a plug layer as `plug:'NAME'`;
    /// nil for a name already converting (`plughw:`, `plug:`, `default`, which is).
    static func plugged(_ device: String) -> String? {
        if device.hasPrefix("plug") || device == "default" || device.hasPrefix("pulse") { return nil }
        if device.hasPrefix("hw:") { return "plug" + device }
        guard !device.contains("'") else { return nil }
        return "plug:'\(device)'"
    }

    private static func open(_ name: String) -> Result<OpaquePointer, OpenError> {
        var opened: OpaquePointer?
        let code = snd_pcm_open(&opened, name, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK)
        guard code >= 0, let opened else { return .failure(OpenError(kind: .missing, error: Self.unavailable(name, ALSAError(code: code)))) }
        let rate = UInt32(SpeechRecognizer.rate)
        // 20 ms periods (a frame reaches the recognizer at most 20 ms after it was heard;
        // snd_pcm_set_params would take a quarter of the buffer, 125 ms) in a 500 ms buffer: a
        // late thread has half a second before an overrun.
        do throws(UpturnError) {
            _ = try ALSAPCM.configure(opened, rate: Int(rate), bufferMilliseconds: 500, periodMilliseconds: 20) { _, error in
                Self.unavailable(name, error)
            }
        } catch {
            snd_pcm_close(opened)
            return .failure(OpenError(kind: .refused, error: error))
        }
        snd_pcm_start(opened)
        return .success(opened)
    }

    deinit { close() }

    static func unavailable(_ device: String, _ error: ALSAError) -> UpturnError {
        UpturnError.unavailable(
            "cannot listen on capture device '\(device)': \(error); choose one with voice:DEVICE (`arecord -L` lists them)")
    }

    func close() {
        guard let handle else { return }
        snd_pcm_drop(handle)
        snd_pcm_close(handle)
        self.handle = nil
    }

    /// Frames captured and not read yet: how long ago the last frame read was heard.
    func delay() -> Int {
        var frames: snd_pcm_sframes_t = 0
        return snd_pcm_delay(handle, &frames) >= 0 ? max(0, Int(frames)) : 0
    }

    /// Waits up to `milliseconds` for frames (or the stop pipe), then reads what there is.
    func read(into buffer: UnsafeMutableBufferPointer<Int16>, stop: Int32, milliseconds: Int32) -> Read {
        guard let handle else { return .lost(.deviceLost) }
        let count = Int(snd_pcm_poll_descriptors_count(handle))
        var fds = [pollfd](repeating: pollfd(), count: max(0, count) + 1)
        fds[0] = pollfd(fd: stop, events: Int16(POLLIN), revents: 0)
        let filled = fds.withUnsafeMutableBufferPointer { Int(snd_pcm_poll_descriptors(handle, $0.baseAddress! + 1, UInt32(count))) }
        fds = Array(fds.prefix(1 + max(0, filled)))
        do throws(Errno) { _ = try SystemCall.poll(&fds, milliseconds: milliseconds) } catch { return .nothing }
        if fds[0].revents != 0 { return .stopped }
        let got = snd_pcm_readi(handle, buffer.baseAddress, snd_pcm_uframes_t(buffer.count))
        if got >= 0 { return got == 0 ? .nothing : .frames(Int(got)) }
        let code = Int32(got)
        if code == -EAGAIN { return .nothing }
        if code == -EPIPE || code == -ESTRPIPE || code == -EINTR {
            if code == -EPIPE { overruns += 1 }
            guard snd_pcm_recover(handle, code, 1) >= 0 else { return .lost(ALSAError(code: code)) }
            snd_pcm_start(handle)
            return .nothing
        }
        return .lost(ALSAError(code: code))
    }
}
