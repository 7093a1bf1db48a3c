import Foundation

/// Spoken commands from a microphone (`--controls voice[:DEVICE]`): "upturn pause", "upturn
/// resume", "upturn next", "upturn back", "upturn stop" (and in `serve`, "upturn start").
///
/// A thread of its own reads the capture device (16 kHz mono through ALSA's plug layer),
/// takes the player's own output out of it (the `EchoReference` the sink fills, aligned by
/// both devices' delays) and hands it to the recognizer; a command is posted like a key
/// press, and logged with its phrase and score. It never blocks playback. A microphone that
/// goes away is one line on stderr; listening resumes when it comes back.
public final class VoiceControl: ControlSource, @unchecked Sendable {
    // @unchecked: the settings are set before start(); then only the listening thread
    // touches the listener and the capture, and stop() only wakes it (WakePipe is Sendable).
    public let device: String
    private let commands: VoiceCommands
    private let model: String
    private let echo: EchoReference?
    private let report: (@Sendable (String) -> Void)?
    /// `serve`: a microphone missing at the start is waited for, not an error.
    public var waitsForDevice = false
    /// Called for the start phrase ("upturn start", in `serve`).
    public var onStart: (@Sendable () -> Void)?
    /// Whether the person is tilted now ("help" and "stop stop" stop only then).
    public var isTilted: @Sendable () -> Bool = { false }
    /// What the player said in the last few seconds (its timeline's text).
    public var playerSaying: @Sendable () -> String = { "" }
    /// The session playing now (its words are looked up once as it starts: `OwnWordsRule`).
    public var playerWords: @Sendable () -> PlayerWords? = { nil }
    /// Voice control switched off (the companion page) and the input level, for `serve`.
    public var gate: VoiceGate?
    private var listener: CommandListener?
    /// The player's own words ask for more (the voice thread's).
    private var ownWords: OwnWordsRule?
    private var capture: ALSACapture?
    private var wake: WakePipe?
    private var thread: JoinableThread?

    public init(
        device: String, commands: VoiceCommands, model: String, echo: EchoReference?, report: (@Sendable (String) -> Void)? = nil
    ) {
        self.device = device
        self.commands = commands
        self.model = model
        self.echo = echo
        self.report = report
    }

    public func start(_ queue: ControlQueue) throws(UpturnError) {
        var heard = commands
        if onStart == nil, let start = heard.startPhrase {
            heard.startPhrase = nil
            heard.phrases[start] = nil
        }
        let enrolment = VoiceEnrolment.stored(for: model) { [report] in report?("voice: " + $0) }
        if let enrolment { report?("voice: using your enrolment of \(enrolment.made.prefix(10)) (\(enrolment.takes) takes)") }
        listener = try CommandListener(
            commands: heard, model: model, echoCancelling: echo != nil, referenceLead: ReferenceAligner.lead, enrolment: enrolment)
        do throws(UpturnError) {
            capture = try ALSACapture(device: device)
            if let line = capture?.convertedLine { report?("voice: " + line) }
        } catch {
            guard waitsForDevice else { throw error }
            report?("voice: \(error.problems.first ?? "no microphone"); waiting for it")
        }
        ownWords = OwnWordsRule(phrases: heard.allPhrases, model: model)
        let wake = try WakePipe()
        self.wake = wake
        guard let thread = JoinableThread(named: "upturn-voice", { [self] in listen(queue, stop: wake.readFD) }) else {
            throw UpturnError.unavailable("voice: cannot start the listening thread")
        }
        self.thread = thread
    }

    /// For tuning: with `UPTURN_VOICE_DUMP=PATH`, what the microphone heard and the reference
    /// aligned to it go to `PATH.mic` and `PATH.ref` (raw 16 kHz mono S16), to be heard again
    /// with `upturn listen --input --reference` (Scripts/bench-voice does).
    /// A file that cannot be made is one warning, and no dump: never a trap mid-session.
    static let dump: (mic: RawDump, ref: RawDump)? = {
        guard let base = ProcessInfo.processInfo.environment["UPTURN_VOICE_DUMP"] else { return nil }
        guard let mic = RawDump(path: base + ".mic", variable: "UPTURN_VOICE_DUMP"),
            let ref = RawDump(path: base + ".ref", variable: "UPTURN_VOICE_DUMP")
        else { return nil }
        return (mic, ref)
    }()

    /// Stops listening: waits (up to 3 s) for the listening thread to end, so the command
    /// being acted on is logged (a "stop" ends the session while its score is still being
    /// taken), then closes the microphone and frees the recognizer here, before the program
    /// goes on to exit. Left to the thread's end, that teardown ran while the program was
    /// exiting, and a session crashed as it ended (`JoinableThread`).
    public func stop() {
        wake?.wake()
        guard let thread else { return }
        self.thread = nil
        guard thread.join(within: 3) else {
            report?("voice: the listening thread did not end within 3 s of the stop; leaving it")
            return
        }
        wake?.closeReadEnd()
        capture?.close()
        capture = nil
        listener = nil
    }

    /// Listening, or not yet stopped: the thread runs, or the microphone or the recognizer is
    /// still held.
    var isHolding: Bool { thread != nil || capture != nil || listener != nil }

    /// The listening thread: read, cancel the echo, recognize, post; reopen a lost microphone.
    private func listen(_ queue: ControlQueue, stop: Int32) {
        guard let listener, let ownWords else { return }
        var aligner = echo.map { ReferenceAligner($0) }
        var buffer = [Int16](repeating: 0, count: SpeechRecognizer.rate / 10)
        while true {
            guard let capture else {
                if SystemCall.waitReadable(stop, milliseconds: 1000) { return }
                if let opened = try? ALSACapture(device: device) {
                    self.capture = opened
                    report?("voice: microphone '\(device)' is back; listening")
                }
                continue
            }
            switch buffer.withUnsafeMutableBufferPointer({ capture.read(into: $0, stop: stop, milliseconds: 500) }) {
            case .stopped:
                return
            case .nothing:
                continue
            case .lost(let error):
                capture.close()
                self.capture = nil
                report?("voice: microphone '\(device)' is gone (\(error)); the other controls still work, listening again when it comes back")
            case .frames(let count):
                let microphone = UnsafeBufferPointer(rebasing: buffer.withUnsafeBufferPointer { $0 }[0..<count])
                let heard: [HeardCommand]
                listener.tilted = isTilted()
                if let aligned = aligner?.next(count, captureDelay: capture.delay()) {
                    if let dump = Self.dump {
                        microphone.withMemoryRebound(to: UInt8.self) { dump.mic.write(UnsafeRawBufferPointer($0)) }
                        aligned.withUnsafeBytes { dump.ref.write($0) }
                    }
                    heard = aligned.withUnsafeBufferPointer { listener.hear(microphone, reference: $0) }
                } else {
                    heard = listener.hear(microphone)
                }
                // Barge-in: someone talks over the player, which plays 15 dB quieter until 2 s
                // after they stop, so the command word lands in quiet.
                if let echo, listener.hearsTalk { echo.duck() }
                ownWords.follow(playerWords())
                gate?.record(level: listener.takeLevel())
                for item in heard {
                    if gate?.isOn == false {
                        if item.hypothesis.accepted {
                            report?("voice: heard \"\(item.hypothesis.phrase)\" while voice control is off (the companion page's settings); ignored")
                        }
                    } else {
                        act(on: item, queue, listener: listener, ownWords: ownWords)
                    }
                }
                for line in listener.takeMicrophoneLines() { report?("voice: microphone '\(device)' \(line)") }
            }
        }
    }

    /// Acts on a heard command at once, then takes its score (35 to 60 ms for each hearing
    /// again here, several times that on a Pi) for the log line.
    private func act(on item: HeardCommand, _ queue: ControlQueue, listener: CommandListener, ownWords: OwnWordsRule) {
        let scored: HeardCommand?
        switch ownWords.judge(
            item, saying: playerSaying(), echoCancelled: echo != nil, tilted: isTilted(), scored: { listener.scored(item) })
        {
        case .ignored(let line):
            report?("voice: " + line)
            return
        case .act(let taken):
            scored = taken
        }
        let phrase = item.hypothesis.phrase
        let action: String
        if phrase == commands.startPhrase, let onStart {
            onStart()
            action = "start"
        } else if let command = item.command {
            queue.post(command)
            action = command.rawValue
        } else {
            return
        }
        report?("voice: \"\(phrase)\" (score \((scored ?? listener.scored(item)).hypothesis.score)): \(action)")
    }
}

/// Takes from the echo reference the frames heard by the microphone in each capture block,
/// resampled to 16 kHz, `lead` early. The position comes from the two devices' delays: the
/// speaker's (frames written and not heard yet) and the microphone's (frames heard and not
/// read yet); from block to block it runs on unbroken, and is set again only when the two
/// disagree by more than 30 ms (a drop, an underrun, a late thread). What the delays do not
/// show (the converters, the air, a loopback, the clocks' drift) the `EchoDelayTracker`
/// measures: the lead keeps the echo after its reference even when the delays overstate it.
struct ReferenceAligner {
    /// 40 ms.
    static let lead = 0.04
    private let reference: EchoReference
    private let converter: StreamingResampler?
    private var cursor: Int?
    private var fraction = 0.0
    private var input: [Float] = []
    private var output = [Float](repeating: 0, count: 16_384)
    private var ready: [Int16] = []

    init(_ reference: EchoReference) {
        self.reference = reference
        converter = try? StreamingResampler(from: reference.rate, to: SpeechRecognizer.rate)
    }

    /// The reference for the `count` microphone frames just read.
    mutating func next(_ count: Int, captureDelay: Int) -> [Int16] {
        let ratio = Double(reference.rate) / Double(SpeechRecognizer.rate)
        let exact = Double(count) * ratio + fraction
        let frames = Int(exact)
        fraction = exact - Double(frames)
        let end = reference.heardPosition() - Int(Double(captureDelay) * ratio) + Int(Self.lead * Double(reference.rate))
        if let last = cursor, abs(last + frames - end) <= reference.rate * 3 / 100 {
            cursor = last + frames
        } else {
            cursor = end
        }
        reference.frames(from: cursor! - frames, count: frames, into: &input)
        if let converter {
            let (_, made) = input.withUnsafeBufferPointer { inBuffer in
                output.withUnsafeMutableBufferPointer { converter.process(inBuffer, into: $0, last: false) }
            }
            for i in 0..<made { ready.append(ClipShaping.toInt16(output[i])) }
        }
        if ready.count < count { ready.insert(contentsOf: [Int16](repeating: 0, count: count - ready.count), at: 0) }
        let taken = Array(ready.prefix(count))
        ready.removeFirst(count)
        return taken
    }
}
