import Foundation

/// `upturn check`: plans and packs checked without playing them. Whatever `play` would
/// refuse, `check` reports, with the file named: a plan is laid out with the clips' true
/// lengths (from the prompt cache, made when missing) so the inverted-time cap is judged as
/// `play` judges it; a pack's recordings and sounds are decoded (never synthesized).
public enum Checker {
    /// Checks one file; returns a note for the "ok" line.
    public static func check(_ file: String) throws(UpturnError) -> String {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: file, isDirectory: &isFolder)
        if exists && isFolder.boolValue {
            return try checkPack(folder: file)
        }
        if PathText.lastComponent(file) == "pack.json5" {
            return try checkPack(folder: PathText.parent(file))
        }
        let plan = try PlanReader.read(file: file)
        let pack = try PackLocator.load(plan.pack)
        let rate = Session.defaultRate
        if let music = plan.music {
            _ = try MusicBed(path: music.path, rate: rate, levelDB: music.levelDB, duckDB: music.duckDB, loop: music.loop)
        }
        let library = ClipLibrary(rate: rate, cache: PromptCache())
        _ = try TimelineCompiler(plan: plan, pack: pack, rate: rate, measure: library).compile(file: file)
        return ""
    }

    /// A pack: its file, its voice (espeak-ng must have it), every recording and sound in it
    /// (each must decode to sound), and the keys it leaves to the default.
    /// The pack's spoken commands: every word must be in the recognizer's dictionary (each
    /// unknown one named, at its phrase). A pack in a language with no phrases of its own
    /// cannot be used with voice control: said here, and at start-up with `--controls voice`.
    static func voiceCommandProblems(_ pack: CuePack, model: String = SpeechRecognizer.defaultModel) -> [String] {
        var found = Problems(file: pack.origin)
        guard let listen = pack.listen else {
            if !pack.language.lowercased().hasPrefix("en") {
                StandardError.write(
                    "\(pack.origin): note: no voice control in '\(pack.language)' (no listen.phrases, and no pocketsphinx model for it is installed)")
            }
            return []
        }
        for phrase in listen.allPhrases {
            guard let unknown = try? SpeechRecognizer.unknownWords(in: [phrase], model: model), !unknown.isEmpty else { continue }
            found.add(
                "the recognizer's dictionary does not know \(unknown.map { "'\($0)'" }.joined(separator: ", ")) in \"\(phrase)\"",
                at: pack.listenLocations[phrase], path: "listen.phrases")
        }
        return found.lines
    }

    public static func checkPack(folder: String) throws(UpturnError) -> String {
        let pack = try PackReader.read(folder: folder)
        var problems: [String] = []
        let voices = EspeakSynthesizer.installedVoices()
        if !EspeakSynthesizer.knows(pack.voice.name, installed: voices) {
            var found = Problems(file: pack.origin)
            found.add(EspeakSynthesizer.unknownVoiceMessage(pack.voice.name, installed: voices), at: pack.voiceLocation, path: "voice.name")
            problems += found.lines
        }
        var files: [String] = []
        for key in CueKey.names {
            if case .recording(.file(let path), _)? = pack.cues[key] { files.append(path) }
        }
        for name in CueKey.soundNames {
            if case .file(let path)? = pack.sounds[name] { files.append(path) }
        }
        for path in Set(files).sorted() {
            do throws(UpturnError) { try ClipLibrary.checkAudio(file: path) } catch { problems += error.problems }
        }
        problems += voiceCommandProblems(pack)
        if !problems.isEmpty { throw UpturnError(.dataError, problems: problems) }
        let missing = CueKey.names.filter { pack.cues[$0] == nil } + CueKey.soundNames.filter { pack.sounds[$0] == nil }
        guard !missing.isEmpty else { return "" }
        return " (\(missing.count) from the default pack: \(missing.joined(separator: ", ")))"
    }
}
