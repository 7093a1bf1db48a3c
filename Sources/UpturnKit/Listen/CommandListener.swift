import Foundation

/// Turns 16 kHz microphone audio into voice commands: the reference kept in step with its
/// echo (`EchoDelayTracker`), the echo cancelled (`VoiceFrontEnd`), then the recognizer, then
/// the phrase's command. The same pipeline hears a device
/// (`VoiceControl`) and a file (`upturn listen --input`), so what is tuned offline is what
/// runs during a session.
public final class CommandListener {
    public let commands: VoiceCommands
    private let recognizer: SpeechRecognizer
    /// With a reference: the echo's delay, and its canceller.
    private let echo: (tracker: EchoDelayTracker, canceller: VoiceFrontEnd)?
    private var aligned = [Int16](repeating: 0, count: VoiceFrontEnd.frame)
    /// For the last 2 s, frame by frame: was the reference (the player's sound, as heard)
    /// speech? Oldest first.
    private var playerTalked: [Bool] = []
    static let playerWindow = 2 * SpeechRecognizer.rate / VoiceFrontEnd.frame
    /// Speech in the reference: over -45 dBFS RMS (the player's cues are -20 to -30), as a
    /// frame's energy (`VoiceFrontEnd.referenceEnergy`).
    static let playerSpeechEnergy = pow(0.005_6 * 32768, 2) * Double(VoiceFrontEnd.frame)
    private var microphone: [Int16] = []
    private var reference: [Int16] = []
    private var peak: Int16 = 0
    private var health = MicrophoneHealth()
    private let suppressor = NoiseSuppressor(frame: VoiceFrontEnd.frame, rate: SpeechRecognizer.rate)

    /// `echoCancelling`: the reference (what the player wrote, about in step) comes with the
    /// audio; `referenceLead`: how many seconds early it comes, at most (it is delayed by that
    /// until its echo's delay is measured).
    /// `enrolment`: the user's voice enrolment for this model, if one is kept
    /// (`VoiceEnrolment`); `enrolled` tells.
    public init(
        commands: VoiceCommands, model: String, echoCancelling: Bool, referenceLead: Double = 0, enrolment: VoiceEnrolment.Stored? = nil
    ) throws(UpturnError) {
        self.commands = commands
        recognizer = try SpeechRecognizer(
            phrases: commands.allPhrases, thresholds: Dictionary(uniqueKeysWithValues: commands.allPhrases.map { ($0, commands.threshold(for: $0)) }),
            model: model, adaptation: enrolment?.transform,
            favoured: Set(commands.allPhrases.filter { commands.command(of: $0) == .stop }))
        recognizer.alone = Set(commands.tiltedPhrases.keys.map(SpeechRecognizer.normalize))
        echo = echoCancelling
            ? (EchoDelayTracker(initialShift: referenceLead * Double(SpeechRecognizer.rate)), VoiceFrontEnd(echoTail: CommandListener.echoTail))
            : nil
        recognizer.playerTalkedThrough = { [unowned self] samples in playerTalked(through: samples / VoiceFrontEnd.frame) }
    }

    /// The longest echo cancelled, after the two devices' delays are taken out: the room's
    /// reverberation and what the delays miss. Measured over commands spoken while the
    /// player talks: 0.15 s 41, 0.2 s 42, 0.3 s 39, 0.4 s 40 of 45 (a longer filter adapts
    /// more slowly).
    public static let echoTail = 0.2

    /// For tuning: with `UPTURN_LISTEN_CLEANED=PATH`, what the recognizer hears (the
    /// microphone less the echo) goes to PATH, raw 16 kHz mono S16.
    static let cleanedDump = ProcessInfo.processInfo.environment["UPTURN_LISTEN_CLEANED"].flatMap { RawDump(path: $0, variable: "UPTURN_LISTEN_CLEANED") }

    /// And the reference as the echo canceller took it (delayed by `EchoDelayTracker`) to
    /// PATH.ref.
    static let alignedDump = ProcessInfo.processInfo.environment["UPTURN_LISTEN_CLEANED"].flatMap { RawDump(path: $0 + ".ref", variable: "UPTURN_LISTEN_CLEANED") }

    /// The loudest sample heard since the last call, as dBFS (the level meter).
    public func takeLevel() -> Double {
        defer { peak = 0 }
        return peak == 0 ? -96 : 20 * log10(Double(peak) / 32768)
    }

    /// Hears microphone samples and, when echo cancelling, the reference for the same time
    /// (missing reference is silence); returns the commands whose utterance ended in them.
    /// It returns as soon as one did, keeping the rest for the next call (`hear` with no
    /// samples goes on with it), so the caller can act on the command first and then take its
    /// score with `scored(_:)` while the recognizer is between utterances.
    public func hear(_ samples: UnsafeBufferPointer<Int16>, reference heard: UnsafeBufferPointer<Int16>? = nil) -> [HeardCommand] {
        microphone.append(contentsOf: samples)
        if let heard { reference.append(contentsOf: heard) }
        for sample in samples { peak = max(peak, sample == .min ? .max : abs(sample)) }
        health.feed(samples)
        let frame = VoiceFrontEnd.frame
        var heardCommands: [HeardCommand] = []
        var offset = 0
        while microphone.count - offset >= frame {
            if let (tracker, canceller) = echo {
                if reference.count < offset + frame { reference += [Int16](repeating: 0, count: offset + frame - reference.count) }
                microphone.withUnsafeMutableBufferPointer { mic in
                    reference.withUnsafeBufferPointer { ref in
                        aligned.withUnsafeMutableBufferPointer { aligned in
                            tracker.align(
                                microphone: UnsafeBufferPointer(rebasing: mic[offset..<offset + frame]),
                                reference: UnsafeBufferPointer(rebasing: ref[offset..<offset + frame]), into: aligned)
                            if let dump = Self.alignedDump { dump.write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(aligned)[0..<frame * 2])) }
                            canceller.process(mic.baseAddress! + offset, reference: aligned.baseAddress!)
                            playerTalked.append(canceller.referenceEnergy > Self.playerSpeechEnergy)
                            if playerTalked.count > Self.playerWindow { playerTalked.removeFirst(playerTalked.count - Self.playerWindow) }
                        }
                    }
                }
            }
            microphone.withUnsafeMutableBufferPointer { suppressor.process($0.baseAddress! + offset) }
            if let cleaned = Self.cleanedDump {
                microphone.withUnsafeBytes { cleaned.write(UnsafeRawBufferPointer(rebasing: $0[offset * 2..<(offset + frame) * 2])) }
            }
            heardCommands += microphone.withUnsafeBufferPointer { mic in
                recognizer.feed(UnsafeBufferPointer(rebasing: mic[offset..<offset + frame]))
            }.map(command)
            offset += frame
            if !heardCommands.isEmpty { break }
        }
        microphone.removeFirst(offset)
        reference.removeFirst(min(offset, reference.count))
        return heardCommands
    }

    /// What is wrong with the microphone, newly (or no longer): one line each, to say after
    /// "microphone 'NAME' ".
    public func takeMicrophoneLines() -> [String] { health.takeLines() }

    /// The person is tilted: the stop phrases are weighed up from the next utterance on
    /// (`SpeechRecognizer.tilted`).
    public var tilted: Bool {
        get { recognizer.tilted }
        set { recognizer.tilted = newValue }
    }

    /// Someone is talking (over the player, when it plays): barge-in ducks it.
    public var hearsTalk: Bool { recognizer.hearsTalk }

    /// A heard command with its score (see `hear`).
    public func scored(_ heard: HeardCommand) -> HeardCommand {
        HeardCommand(
            hypothesis: recognizer.scored(heard.hypothesis), command: heard.command, onlyTilted: heard.onlyTilted, overPlayer: heard.overPlayer)
    }

    /// The end of the audio: what is left of it heard, and the utterance under way; scored.
    public func finish() -> [HeardCommand] {
        var heard: [HeardCommand] = []
        while true {
            let found = hear(UnsafeBufferPointer(start: nil, count: 0))
            guard !found.isEmpty else { break }
            heard += found.map(scored)
        }
        return heard + recognizer.finish().map(command).map(scored)
    }

    private func command(_ hypothesis: SpeechRecognizer.Hypothesis) -> HeardCommand {
        HeardCommand(
            hypothesis: hypothesis, command: commands.command(of: hypothesis.phrase),
            onlyTilted: commands.phrases[hypothesis.phrase] == nil && commands.tiltedPhrases[hypothesis.phrase] != nil,
            overPlayer: playerTalked(through: hypothesis.samples / VoiceFrontEnd.frame))
    }

    /// The player talked in more than half of the last 2 s (the utterance and the silence
    /// that ended it), or in more than half of the utterance itself (`frames`: its speech and
    /// the silences around it, when shorter). The room's first-time once took the first
    /// words the player said after a quiet rest for "help" and stopped: the utterance was
    /// 0.4 s of them, and the 2 s, mostly the rest's quiet, did not count as talk.
    private func playerTalked(through frames: Int) -> Bool {
        guard echo != nil, !playerTalked.isEmpty else { return false }
        if playerTalked.count { $0 } * 2 > Self.playerWindow { return true }
        let recent = playerTalked.suffix(max(1, min(frames, Self.playerWindow)))
        return recent.count { $0 } * 2 > recent.count
    }
}

import Foundation

/// A recording read as 16 kHz mono samples, whatever its format and rate.
final class SixteenKilohertzFile {
    private let file: AudioFileStream
    private let converter: StreamingResampler
    private var input: [Float] = []
    private var output = [Float](repeating: 0, count: 16_384)
    private(set) var ended = false

    init(path: String, what: String) throws(UpturnError) {
        file = try AudioFileStream(path: path, what: what)
        converter = try StreamingResampler(from: file.rate, to: SpeechRecognizer.rate)
    }

    /// The next samples; empty once the file has ended.
    func next() -> [Int16] {
        guard !ended else { return [] }
        input.removeAll(keepingCapacity: true)
        let last = file.read(4096, appendingTo: &input) == 0
        var samples: [Int16] = []
        var offset = 0
        while true {
            let (used, made) = input.withUnsafeBufferPointer { inBuffer in
                output.withUnsafeMutableBufferPointer { outBuffer in
                    converter.process(UnsafeBufferPointer(rebasing: inBuffer[offset...]), into: outBuffer, last: last)
                }
            }
            offset += used
            for i in 0..<made { samples.append(ClipShaping.toInt16(output[i])) }
            if (used == 0 && made == 0) || (offset >= input.count && !(last && made > 0)) { break }
        }
        if last { ended = true }
        return samples
    }
}
