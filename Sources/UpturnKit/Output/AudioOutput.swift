import Synchronization

/// The one way to open a sink: a command names where its sound goes (`--device NAME`,
/// `--output FILE.wav`) and this turns it into an `AudioSink`. In the spirit of swift-log's
/// `LoggingSystem.bootstrap`, a test or a benchmark may install its own factory once, and
/// every command then opens its sinks through it.
public enum AudioOutput {
    /// Where a command's sound goes.
    public enum Target: Sendable, Equatable, CustomStringConvertible {
        /// An ALSA PCM device by name ("default", "pulse", "hw:1,0", "bluealsa").
        case device(String)
        /// A WAV file, written as fast as it renders.
        case file(String)
        /// Kept in memory (tests).
        case memory

        /// What `--device` names: `wav:FILE` is a WAV file (written as fast as it renders,
        /// for trying a setup without speakers), anything else an ALSA device; none is
        /// `default`. `play`, `serve` and `say` all read it here.
        public static func parse(_ name: String?) -> Target {
            guard let name else { return .device("default") }
            if name.hasPrefix(wavScheme), name.count > wavScheme.count { return .file(String(name.dropFirst(wavScheme.count))) }
            return .device(name)
        }

        public static let wavScheme = "wav:"

        public var description: String {
            switch self {
            case .device(let name): return "audio device '\(name)'"
            case .file(let path): return path
            case .memory: return "memory"
            }
        }
    }

    public typealias Factory = @Sendable (Target, _ rate: Int) throws(UpturnError) -> any AudioSink

    /// ALSA for a device, `WAVFileSink` for a file, `MemorySink` for memory.
    public static let standard: Factory = { (target: Target, rate: Int) throws(UpturnError) -> any AudioSink in
        switch target {
        case .device(let name): return try ALSASink(device: name, rate: rate)
        case .file(let path): return try WAVFileSink(path: path, rate: rate)
        case .memory: return MemorySink(rate: rate)
        }
    }

    private static let factory = LockedFunction<Factory>(standard)

    /// Replaces how sinks are opened, for the whole process.
    public static func bootstrap(_ make: @escaping Factory) {
        factory.replace(with: make)
    }

    /// Opens a sink for `target` at `rate` frames a second.
    public static func open(_ target: Target, rate: Int) throws(UpturnError) -> any AudioSink {
        return try factory.current(target, rate)
    }

    /// A command's `--output FILE` (when given) or `--device NAME` (default: "default").
    public static func target(device: String?, output: String?) -> Target {
        if let output { return .file(output) }
        return Target.parse(device)
    }
}
