import Foundation

/// Enrolment (`upturn listen --enroll`): the user says every phrase twice in their own room,
/// and the recognizer's acoustic model is adapted to their voice, microphone and room with
/// MLLR, the speaker adaptation pocketsphinx's model was made for (CMU's "Adapting the
/// default acoustic model": `sphinx_fe`, then sphinxtrain's `bw` counts how the takes fit
/// the model's Gaussians, then `mllr_solve` finds one linear transform of their means). The
/// transform is kept in `~/.config/upturn/voice/` and the decoder loads it (`-mllr`) for the
/// model it was made on, in `listen`, `play` and `serve`.
///
/// Measured on issue 19's corpus (`Scripts/voice-figures`, each voice enrolled on its own
/// sixteen takes, said apart from the commands it is measured on): a quiet room 74.6% of
/// the commands before, 85.8% after (espeak-ng's voices, the worst heard, 43.8% -> 81.2%);
/// false commands over prose 7.1 an hour -> 0.9; enrolled beside a fan, that fan 28.8% ->
/// 44.2%. MLLR, not MAP: one
/// transform learned from sixteen phrases cannot overfit the model the way re-estimating its
/// means can, and it carries the room's level and colour as well as the voice.
public enum VoiceEnrolment {
    /// Where an enrolment is kept.
    public static var folder: String { XDGFolders.configHome + "/upturn/voice" }
    static var transformFile: String { folder + "/mllr_matrix" }
    static var aboutFile: String { folder + "/enrolment.json5" }
    /// How many times each phrase is said.
    public static let takes = 2

    /// What the user is asked to say, in order: every phrase once, then every phrase again.
    /// A recording given to `--enroll --input` holds them in this order.
    public static func prompts(_ commands: VoiceCommands) -> [String] {
        (0..<takes).flatMap { _ in commands.allPhrases }
    }

    /// A kept enrolment.
    public struct Stored: Sendable, Equatable {
        /// The transform (`-mllr`).
        public var transform: String
        /// When it was made (ISO 8601), and from how many takes.
        public var made: String
        public var takes: Int
    }

    /// The enrolment kept for `model` (nil: none, or made on another model, or unreadable:
    /// a damaged one is never loaded, and `problem` says why in one line).
    public static func stored(for model: String, problem: (String) -> Void = { _ in }) -> Stored? {
        guard FileManager.default.fileExists(atPath: aboutFile) else { return nil }
        guard let bytes = try? FileBytes.read(aboutFile, limit: 64 << 10, what: "voice enrolment"),
            let about = try? JSON5Parser.parse(bytes),
            case .string(let enrolledOn)? = about["model"]?.value
        else {
            problem("\(aboutFile): not a voice enrolment; run `upturn listen --enroll` again")
            return nil
        }
        guard let acoustic = try? SpeechRecognizer.locate(model).acoustic, PathText.resolved(acoustic) == enrolledOn else { return nil }
        guard let text = try? String(contentsOfFile: transformFile, encoding: .utf8), validTransform(text) else {
            problem("\(transformFile): the voice enrolment is damaged; run `upturn listen --enroll` again")
            return nil
        }
        var made = "", takes = 0
        if case .string(let value)? = about["made"]?.value { made = value }
        if case .number(let value)? = about["takes"]?.value { takes = Int(value) }
        return Stored(transform: transformFile, made: made, takes: takes)
    }

    /// An MLLR file as `mllr_solve` writes it: the number of classes and of feature streams,
    /// then for each class and stream its length n, an n×n matrix, an offset and a variance
    /// scale of n each. pocketsphinx reads it with fscanf and no checks.
    static func validTransform(_ text: String) -> Bool {
        let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map { Double($0) }
        guard numbers.allSatisfy({ $0?.isFinite == true }), numbers.count >= 2 else { return false }
        let values = numbers.map { $0! }
        guard let classes = Int(exactly: values[0]), let streams = Int(exactly: values[1]), classes == 1, (1...4).contains(streams) else {
            return false
        }
        var at = 2
        for _ in 0..<streams {
            guard at < values.count, let n = Int(exactly: values[at]), (1...64).contains(n) else { return false }
            at += 1 + n * n + 2 * n
        }
        return at == values.count
    }

    /// Removes a kept enrolment; false when there was none.
    public static func forget() throws(UpturnError) -> Bool {
        let files = FileManager.default
        guard files.fileExists(atPath: folder) else { return false }
        do { try files.removeItem(atPath: folder) } catch {
            throw UpturnError.cantCreate("\(folder): cannot remove the voice enrolment")
        }
        return true
    }

    /// Adapts the model to `takes` (each one phrase, 16 kHz) and keeps the transform.
    public static func adapt(
        _ takes: [(phrase: String, audio: [Int16])], model: String = SpeechRecognizer.defaultModel, source: String
    ) throws(UpturnError) -> Stored {
        let tools = try Tools.find()
        let (acoustic, dictionary) = try SpeechRecognizer.locate(model)
        let work = FileManager.default.temporaryDirectory.path + "/upturn-enrol-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: work) }
        do { try FileBytes.makeFolders(work + "/acc", mode: 0o700) } catch {
            throw UpturnError.cantCreate("\(work): cannot make a folder for the enrolment: \(error)")
        }
        // The takes, their transcripts and the words' pronunciations.
        var ids = "", transcripts = ""
        for (index, take) in takes.enumerated() {
            let id = String(format: "take%02d", index + 1)
            try write(Self.wave(take.audio), to: work + "/\(id).wav")
            ids += id + "\n"
            transcripts += "<s> \(take.phrase) </s> (\(id))\n"
        }
        let words = Set(takes.flatMap { $0.phrase.split(separator: " ").map(String.init) })
        let (entries, unknown, _) = try SpeechRecognizer.pronunciations(of: words, in: dictionary)
        guard unknown.isEmpty else {
            throw UpturnError.data("the recognizer's dictionary does not know: \(unknown.sorted().joined(separator: ", "))")
        }
        try write(Array(entries.utf8), to: work + "/words.dict")
        try write(Array(transcripts.utf8), to: work + "/takes.transcription")
        try write(Array(ids.utf8), to: work + "/takes.fileids")
        // The model as sphinxtrain reads it: a text mdef, and mixture weights (pocketsphinx's
        // models ship them compressed, as `sendump`).
        let params = try FeatureParameters(acoustic + "/feat.params")
        try tools.run(tools.mdefConvert, ["-text", acoustic + "/mdef", work + "/mdef.txt"], log: work + "/mdef.log")
        var mixw = acoustic + "/mixture_weights"
        if !FileManager.default.fileExists(atPath: mixw) {
            mixw = work + "/mixture_weights"
            try write(SendumpFile.mixtureWeights(try FileBytes.read(acoustic + "/sendump", limit: 256 << 20, what: "model's sendump")), to: mixw)
        }
        try tools.run(
            tools.featureExtractor,
            ["-argfile", acoustic + "/feat.params", "-samprate", "16000", "-c", work + "/takes.fileids", "-di", work, "-do", work,
             "-ei", "wav", "-eo", "mfc", "-mswav", "yes"], log: work + "/fe.log")
        let noise = acoustic + "/noisedict"
        try tools.run(
            tools.baumWelch,
            ["-moddeffn", work + "/mdef.txt", "-ts2cbfn", params.tiedTo, "-meanfn", acoustic + "/means", "-varfn", acoustic + "/variances",
             "-mixwfn", mixw, "-tmatfn", acoustic + "/transition_matrices", "-feat", params.feature, "-svspec", params.streams,
             "-cmn", params.cmn, "-agc", params.agc, "-varnorm", params.varnorm, "-dictfn", work + "/words.dict"]
                + (FileManager.default.fileExists(atPath: noise) ? ["-fdictfn", noise] : [])
                + ["-ctlfn", work + "/takes.fileids", "-cepdir", work, "-lsnfn", work + "/takes.transcription", "-accumdir", work + "/acc"],
            log: work + "/bw.log")
        try tools.run(
            tools.mllrSolve,
            ["-meanfn", acoustic + "/means", "-varfn", acoustic + "/variances", "-outmllrfn", work + "/mllr_matrix", "-accumdir", work + "/acc"],
            log: work + "/mllr.log")
        guard let text = try? String(contentsOfFile: work + "/mllr_matrix", encoding: .utf8), validTransform(text) else {
            throw UpturnError.data("the enrolment's takes did not fit the phrases (mllr_solve made no transform): say each phrase clearly, then run it again")
        }
        let made = ISO8601DateFormatter().string(from: Date())
        let about = """
            // Made by `upturn listen --enroll`: the recognizer's model adapted to your voice and
            // room (mllr_matrix, beside this). `upturn listen --enroll --forget` removes it.
            {
              model: \(JSONText.string(PathText.resolved(acoustic))),
              made: \(JSONText.string(made)),
              takes: \(takes.count),
              source: \(JSONText.string(source)),
            }

            """
        do {
            // A recording of the user's voice made into a model of it: theirs alone.
            try FileBytes.makePrivateFolder(folder)
            try Data(text.utf8).write(to: URL(fileURLWithPath: transformFile), options: .atomic)
            try Data(about.utf8).write(to: URL(fileURLWithPath: aboutFile), options: .atomic)
        } catch {
            throw UpturnError.cantCreate("\(folder): cannot keep the voice enrolment")
        }
        return Stored(transform: transformFile, made: made, takes: takes.count)
    }

    private static func write(_ bytes: [UInt8], to path: String) throws(UpturnError) {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw UpturnError.cantCreate("\(path): cannot write the enrolment's work file")
        }
    }

    /// 16 kHz mono 16-bit RIFF WAVE (the header `render` writes).
    static func wave(_ samples: [Int16]) -> [UInt8] {
        var bytes = WAVFileSink.header(rate: SpeechRecognizer.rate, dataBytes: samples.count * 2)
        bytes.reserveCapacity(bytes.count + samples.count * 2)
        for sample in samples { bytes += withUnsafeBytes(of: sample.littleEndian, Array.init) }
        return bytes
    }

    /// The model's front end and feature settings (`feat.params`), as `bw` must be told them.
    struct FeatureParameters {
        var feature = "1s_c_d_dd", streams = "0-38", cmn = "current", agc = "none", varnorm = "no", tiedTo = ".cont."

        init(_ path: String) throws(UpturnError) {
            let text = String(decoding: try FileBytes.read(path, limit: 1 << 20, what: "model's feat.params"), as: UTF8.self)
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
            var values: [String: String] = [:]
            for (key, value) in zip(words, words.dropFirst()) where key.hasPrefix("-") { values[key] = value }
            feature = values["-feat"] ?? feature
            streams = values["-svspec"] ?? "0-\(Self.width(feature) - 1)"
            cmn = values["-cmn"] ?? cmn
            agc = values["-agc"] ?? agc
            varnorm = values["-varnorm"] ?? varnorm
            tiedTo = "." + (values["-model"] ?? "cont") + "."
        }

        static func width(_ feature: String) -> Int { feature == "1s_c_d_dd" ? 39 : 13 }
    }

    /// The programs an enrolment runs (Debian's sphinxtrain, sphinxbase-utils, pocketsphinx).
    struct Tools {
        var featureExtractor: String, baumWelch: String, mllrSolve: String, mdefConvert: String

        static func find() throws(UpturnError) -> Tools {
            func onPath(_ name: String) -> String? {
                let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
                return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
            }
            let train = "/usr/lib/sphinxtrain/"
            guard let fe = onPath("sphinx_fe"), let convert = onPath("pocketsphinx_mdef_convert"),
                FileManager.default.isExecutableFile(atPath: train + "bw"), FileManager.default.isExecutableFile(atPath: train + "mllr_solve")
            else {
                throw UpturnError.unavailable(
                    "enrolment needs sphinxtrain's bw and mllr_solve, sphinx_fe and pocketsphinx_mdef_convert: apt-get install sphinxtrain sphinxbase-utils pocketsphinx")
            }
            return Tools(featureExtractor: fe, baumWelch: train + "bw", mllrSolve: train + "mllr_solve", mdefConvert: convert)
        }

        /// Runs a program, its output to `log`; a failure is one line, its last words.
        /// posix_spawn and waitpid, not Foundation's `Process` (whose exit monitoring was seen
        /// to hang on Linux; the tests' `Child` says more).
        func run(_ program: String, _ arguments: [String], log: String) throws(UpturnError) {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            var argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, program, &actions, nil, &argv, environ)
            guard spawned == 0 else { throw UpturnError.unavailable("cannot run \(program): \(String(cString: strerror(spawned)))") }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let exited = status & 0x7f == 0
            let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            guard code != 0 else { return }
            let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
            let last = lines.last { $0.hasPrefix("FATAL") || $0.hasPrefix("ERROR") } ?? lines.last ?? ""
            throw UpturnError.data(
                "the enrolment failed in \(PathText.lastComponent(program)) (status \(code)): \(TerminalText.safe(String(last.prefix(200))))")
        }
    }
}

/// pocketsphinx's compressed mixture weights (`sendump`), turned back into sphinxtrain's
/// `mixture_weights` (a 3-D float array: senone, feature stream, density), as sphinxtrain's
/// own `sendump.py` does: each byte b is the weight 1.0001^-(b << shift).
enum SendumpFile {
    static func mixtureWeights(_ bytes: [UInt8]) throws(UpturnError) -> [UInt8] {
        var at = 0
        var bigEndian = false
        func int() throws(UpturnError) -> Int {
            guard at + 4 <= bytes.count else { throw UpturnError.data("the model's sendump is cut short") }
            let raw = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            at += 4
            return Int(bigEndian ? raw.byteSwapped : raw)
        }
        func string() throws(UpturnError) -> String? {
            let count = try int()
            guard count != 0 else { return nil }
            guard count <= 4096, at + count <= bytes.count else { throw UpturnError.data("the model's sendump has a damaged header") }
            defer { at += count }
            return String(decoding: bytes[at..<(at + count - 1)], as: UTF8.self)
        }
        // The title's length comes first: read the wrong way round it is over 65536.
        if bytes.count >= 4, UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24 > 65536 {
            bigEndian = true
        }
        _ = try string()  // the title
        var header: [String: Int] = [:]
        while let line = try string() {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Int(parts[1]) { header[String(parts[0])] = value }
        }
        let shift = header["mixw_shift"] ?? 10, streams = header["feature_count"] ?? 0
        guard header["cluster_count"] ?? 0 == 0 else { throw UpturnError.data("the model's sendump is clustered; enrolment needs its mixture_weights") }
        let densities = try int(), senones = try int()
        guard (1...4).contains(streams), (1...1024).contains(densities), (1...200_000).contains(senones),
            at + streams * densities * senones <= bytes.count
        else { throw UpturnError.data("the model's sendump is damaged (\(streams) streams, \(densities) densities, \(senones) senones)") }
        let table = (0..<256).map { Float(pow(1.0001, -Double($0 << shift))) }
        var weights = [Float](repeating: 0, count: senones * streams * densities)
        for stream in 0..<streams {
            for density in 0..<densities {
                for senone in 0..<senones {
                    weights[(senone * streams + stream) * densities + density] = table[Int(bytes[at + senone])]
                }
                at += senones
            }
        }
        var out = Array("s3\nversion 1.0\n".utf8)
        let pad = (out.count + 7) & 3
        out += [UInt8](repeating: UInt8(ascii: " "), count: pad == 0 ? 0 : 4 - pad) + Array("endhdr\n".utf8)
        func word(_ v: UInt32) { out += withUnsafeBytes(of: v.littleEndian, Array.init) }
        word(0x1122_3344)
        word(UInt32(senones)); word(UInt32(streams)); word(UInt32(densities)); word(UInt32(weights.count))
        out.reserveCapacity(out.count + weights.count * 4)
        for weight in weights { word(weight.bitPattern) }
        return out
    }
}

/// The takes heard as the recognizer hears a command: through the same noise suppressor
/// (which acts only when the room is noisy), so a transform made beside a fan fits what the
/// recognizer is given beside it.
struct EnrolmentRoom {
    private let suppressor = NoiseSuppressor(frame: VoiceFrontEnd.frame, rate: SpeechRecognizer.rate)
    private var pending: [Int16] = []

    /// The audio in whole frames, as it came and as the recognizer would hear it; the rest
    /// waits for the next call. (Phrases are found in the raw audio: the suppressor's
    /// residue flickers, and cut there they ran together beside a fan.)
    mutating func process(_ samples: [Int16]) -> (raw: [Int16], heard: [Int16]) {
        pending += samples
        let whole = pending.count / VoiceFrontEnd.frame * VoiceFrontEnd.frame
        let raw = Array(pending[0..<whole])
        var out = raw
        pending.removeFirst(whole)
        out.withUnsafeMutableBufferPointer { all in
            for offset in stride(from: 0, to: whole, by: VoiceFrontEnd.frame) { suppressor.process(all.baseAddress! + offset) }
        }
        return (raw, out)
    }
}

/// Cuts a recording into the phrases said in it: 50 ms 8 dB over the room's noise floor
/// (the quietest of the last 3 s, so a fan's steady noise is floor), an
/// utterance from 0.3 s before its first loud frame to 0.3 s after its last, ended by 0.7 s
/// without one; the first 0.3 s only learns the floor. Over 5 s is not a phrase, and under 0.08 s of loud frames is a click (a
/// quick "help" is 0.14 s).
public struct PhraseCutter {
    static let frame = SpeechRecognizer.rate / 100
    static let smoothing = 5
    private var recent: [Double] = []
    static let over = 8.0, quietest = -65.0, endAfter = 70, before = 30, after = 30, longest = 500, shortest = 8

    static let block = 50, blocks = 6
    private var blocks: [Double] = []
    private var blockQuietest = Double.infinity
    private var blockFrames = 0
    private var audio: [Int16] = []
    private var loud: [Bool] = []
    private var start: Int?
    private var lastLoud = 0
    private var pending: [Int16] = []
    private var pendingHeard: [Int16] = []
    /// After talk too long for a phrase, until it ends.
    private var discarding = false
    /// Frames trimmed off the front so far.
    private var dropped = 0
    /// Utterances cut off as too long (talk, not a phrase).
    public private(set) var tooLong = 0

    public init() {}

    /// Feeds audio; returns the utterances that ended in it. `heard`: the same audio as the
    /// recognizer is given it (noise suppressed), cut where `samples` say.
    public mutating func feed(_ samples: [Int16], heard: [Int16]? = nil) -> [[Int16]] {
        pending += samples
        pendingHeard += heard ?? samples
        var found: [[Int16]] = []
        var offset = 0
        while pending.count - offset >= Self.frame {
            let chunk = pending[offset..<(offset + Self.frame)]
            let chunkHeard = pendingHeard[offset..<(offset + Self.frame)]
            offset += Self.frame
            var energy = 0.0
            for s in chunk { energy += Double(s) * Double(s) }
            // Over the last 50 ms: a fan's noise flickers less, so the threshold can sit lower.
            recent.append(energy)
            if recent.count > Self.smoothing { recent.removeFirst() }
            let mean = recent.reduce(0, +) / Double(recent.count * Self.frame)
            let level = max(-90, 10 * log10(max(mean, 1e-9) / (32768.0 * 32768.0)))
            // The floor: the quietest frame of the last 3 s (minimum statistics, in blocks of
            // 0.5 s): pauses between words keep it down, a fan switched on lifts it in 3 s.
            blockQuietest = min(blockQuietest, level)
            blockFrames += 1
            if blockFrames == Self.block {
                blocks.append(blockQuietest)
                if blocks.count > Self.blocks { blocks.removeFirst() }
                blockQuietest = .infinity
                blockFrames = 0
            }
            let noise = min(blocks.min() ?? .infinity, blockQuietest)
            // The first 0.3 s only learns the floor (a recording starts before its speech).
            let isLoud = loud.count + dropped >= Self.before && level > max(noise + Self.over, Self.quietest)
            audio += chunkHeard
            loud.append(isLoud)
            let index = loud.count - 1
            if isLoud {
                if start == nil && !discarding { start = max(0, index - Self.before) }
                lastLoud = index
            }
            if let begun = start {
                if index - lastLoud >= Self.endAfter {
                    let end = min(loud.count, lastLoud + Self.after)
                    let loudFrames = loud[begun..<end].count { $0 }
                    if loudFrames >= Self.shortest { found.append(Array(audio[(begun * Self.frame)..<(end * Self.frame)])) }
                    start = nil
                    trim()
                } else if index - begun > Self.longest {
                    tooLong += 1
                    start = nil
                    discarding = true
                    trim()
                }
            } else if discarding {
                // Talk too long for a phrase: none until it ends.
                if index - lastLoud >= Self.endAfter { discarding = false }
                if loud.count > 2 * Self.before { trim() }
            } else if loud.count > 2 * Self.before {
                trim()
            }
        }
        pending.removeFirst(offset)
        pendingHeard.removeFirst(offset)
        return found
    }

    /// Ends the recording: an utterance still open counts if it is one.
    public mutating func finish() -> [[Int16]] {
        var found: [[Int16]] = []
        if let begun = start {
            let loudFrames = loud[begun...].count { $0 }
            if loudFrames >= Self.shortest { found.append(Array(audio[(begun * Self.frame)...])) }
            start = nil
        }
        return found
    }

    /// Keeps only the last frames (the pre-roll of the next utterance).
    private mutating func trim() {
        let keep = min(loud.count, Self.before)
        let drop = loud.count - keep
        loud.removeFirst(drop)
        dropped += drop
        audio.removeFirst(drop * Self.frame)
        lastLoud -= drop
    }
}

extension VoiceEnrolment {
    public typealias Take = (phrase: String, audio: [Int16])

    /// The takes in a recording: the phrases said in it, in the prompts' order.
    public static func takes(inFile path: String, prompts: [String]) throws(UpturnError) -> [Take] {
        let input = try SixteenKilohertzFile(path: path, what: "audio")
        var cutter = PhraseCutter()
        var found: [[Int16]] = []
        var room = EnrolmentRoom()
        while !input.ended {
            let (raw, heard) = room.process(input.next())
            found += cutter.feed(raw, heard: heard)
        }
        found += cutter.finish()
        guard found.count == prompts.count else {
            throw UpturnError.data(
                "\(path): heard \(found.count) phrases; an enrolment is \(prompts.count), each phrase \(takes) times in this order, apart: "
                    + prompts.prefix(prompts.count / takes).map { "\"\($0)\"" }.joined(separator: ", "))
        }
        return Array(zip(prompts, found)).map { (phrase: $0, audio: $1) }
    }

    /// How long a prompt waits for its phrase, and how many waits in a row may hear nothing.
    static let promptWait = 8 * SpeechRecognizer.rate
    static let silentPrompts = 3

    /// The takes said into a microphone, each prompted by `say` (nil: stopped by a signal;
    /// nothing is kept).
    public static func takes(
        fromDevice device: String, prompts: [String], until queue: ControlQueue, say: (String) -> Void
    ) throws(UpturnError) -> [Take]? {
        let capture = try ALSACapture(device: device)
        if let line = capture.convertedLine { say(line) }
        var cutter = PhraseCutter()
        var room = EnrolmentRoom()
        var buffer = [Int16](repeating: 0, count: SpeechRecognizer.rate / 10)
        var kept: [Take] = []
        var waited = 0, silent = 0
        say("say \"\(prompts[0])\" (1 of \(prompts.count))")
        while kept.count < prompts.count {
            let read = buffer.withUnsafeMutableBufferPointer { capture.read(into: $0, stop: queue.wakeFD, milliseconds: 500) }
            switch read {
            case .stopped:
                return nil
            case .lost(let error):
                throw ALSACapture.unavailable(device, error)
            case .nothing:
                continue
            case .frames(let count):
                waited += count
                let (raw, heard) = room.process(Array(buffer[0..<count]))
                for audio in cutter.feed(raw, heard: heard) where kept.count < prompts.count {
                    let peak = audio.reduce(0) { max($0, $1 == .min ? Int(Int16.max) : abs(Int($1))) }
                    let dBFS = 20 * log10(Double(max(peak, 1)) / 32768)
                    say(String(format: "  heard %.1f s, peak %.0f dBFS", Double(audio.count) / Double(SpeechRecognizer.rate), dBFS)
                        + (dBFS < MicrophoneHealth.quietestPeak ? ": quiet; speak up, or move the microphone closer" : ""))
                    kept.append((phrase: prompts[kept.count], audio: audio))
                    waited = 0
                    silent = 0
                    if kept.count < prompts.count { say("say \"\(prompts[kept.count])\" (\(kept.count + 1) of \(prompts.count))") }
                }
                if waited >= promptWait {
                    waited = 0
                    silent += 1
                    guard silent < silentPrompts else {
                        throw UpturnError.unavailable(
                            "heard nothing from '\(device)' for \(silentPrompts * promptWait / SpeechRecognizer.rate) s: is it the microphone you speak into? (`upturn listen --device \(device)` shows its level)")
                    }
                    say("  heard nothing; say \"\(prompts[kept.count])\" again")
                }
            }
        }
        return kept
    }
}
