import CALSA
import Foundation

/// An error code from libasound, which returns `-errno`.
public struct ALSAError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The negative code ALSA returned.
    public var code: Int32

    public init(code: Int32) { self.code = code }

    /// Underrun: the device ran out of frames (-EPIPE).
    public static let underrun = ALSAError(code: -EPIPE)
    /// The system suspended the device (-ESTRPIPE).
    public static let suspended = ALSAError(code: -ESTRPIPE)
    /// The device went away: a USB speaker pulled, a sound server gone (-ENODEV).
    public static let deviceLost = ALSAError(code: -ENODEV)
    /// A signal interrupted the call (-EINTR).
    public static let interrupted = ALSAError(code: -EINTR)
    /// No room now; try again (-EAGAIN).
    public static let wouldBlock = ALSAError(code: -EAGAIN)

    /// The text of `snd_strerror`.
    public var description: String { String(cString: snd_strerror(code)) }

    /// As a device loss names it.
    public var device: DeviceError { DeviceError(code: code, text: description) }
}
