/// A command heard in audio, and when.
public struct HeardCommand: Sendable, Equatable {
    public var hypothesis: SpeechRecognizer.Hypothesis
    public var command: ControlCommand?
    /// A phrase acted on only while tilted ("help").
    public var onlyTilted = false
    /// The player was talking through most of the phrase (its echo reference was speech):
    /// a short tilted-only phrase then is most likely the player's own words ("hold you" was
    /// heard as "help" in the room's first-time session), and is not acted on.
    public var overPlayer = false
}

/// Recognizes commands in a recording (`upturn listen --input FILE [--reference FILE]`): any
/// format libsndfile reads, downmixed and resampled to 16 kHz. The reference is what was
/// playing meanwhile, cancelled from the input as during a session. `tilted`: whether the
/// person was tilted so many seconds into the recording (the stops weighed up, as in a session).
public enum FileListener {
    public static func listen(
        file path: String, reference: String? = nil, commands: VoiceCommands = .english,
        model: String = SpeechRecognizer.defaultModel, enrolment: VoiceEnrolment.Stored? = nil,
        tilted: (Double) -> Bool = { _ in false }
    ) throws(UpturnError) -> [HeardCommand] {
        let listener = try CommandListener(commands: commands, model: model, echoCancelling: reference != nil, enrolment: enrolment)
        // Streamed, so a recording of any length is heard in flat memory.
        let input = try SixteenKilohertzFile(path: path, what: "audio")
        let playing = try reference.map { (path) throws(UpturnError) in try SixteenKilohertzFile(path: path, what: "reference audio") }
        var heard: [HeardCommand] = []
        var pending: [Int16] = []
        var samplesHeard = 0
        while !input.ended {
            let samples = input.next()
            listener.tilted = tilted(Double(samplesHeard) / Double(SpeechRecognizer.rate))
            samplesHeard += samples.count
            guard let playing else {
                heard += samples.withUnsafeBufferPointer { listener.hear($0) }.map(listener.scored)
                continue
            }
            while pending.count < samples.count && !playing.ended { pending += playing.next() }
            let count = min(pending.count, samples.count)
            heard += samples.withUnsafeBufferPointer { mic in
                pending.withUnsafeBufferPointer { ref in listener.hear(mic, reference: UnsafeBufferPointer(rebasing: ref[0..<count])) }
            }.map(listener.scored)
            pending.removeFirst(count)
        }
        return heard + listener.finish()
    }
}

/// Recognizes commands from a microphone until a signal (`upturn listen --device NAME`),
/// reporting the input level about ten times a second so a person can place the microphone.
public enum DeviceListener {
    public static func listen(
        device: String, commands: VoiceCommands, model: String, enrolment: VoiceEnrolment.Stored? = nil, tilted: Bool = false,
        until queue: ControlQueue, level: (Double) -> Void, heard: (HeardCommand, Double) -> Void, problem: (String) -> Void = { _ in }
    ) throws(UpturnError) {
        let listener = try CommandListener(commands: commands, model: model, echoCancelling: false, enrolment: enrolment)
        listener.tilted = tilted
        let capture = try ALSACapture(device: device)
        if let line = capture.convertedLine { problem(line) }
        var buffer = [Int16](repeating: 0, count: SpeechRecognizer.rate / 10)
        var frames = 0
        while true {
            switch buffer.withUnsafeMutableBufferPointer({ capture.read(into: $0, stop: queue.wakeFD, milliseconds: 500) }) {
            case .stopped:
                return
            case .lost(let error):
                throw ALSACapture.unavailable(device, error)
            case .nothing:
                continue
            case .frames(let count):
                frames += count
                var found = buffer.withUnsafeBufferPointer { listener.hear(UnsafeBufferPointer(rebasing: $0[0..<count])) }
                while !found.isEmpty {
                    for item in found { heard(listener.scored(item), Double(frames) / Double(SpeechRecognizer.rate)) }
                    found = listener.hear(UnsafeBufferPointer(start: nil, count: 0))
                }
                level(listener.takeLevel())
                for line in listener.takeMicrophoneLines() { problem("microphone '\(device)' \(line)") }
            }
        }
    }
}
