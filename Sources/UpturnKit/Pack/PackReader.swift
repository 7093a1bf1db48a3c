import Foundation
import UpturnSounds

/// Reads cue packs: a folder with `pack.json5`, or the embedded default pack.
public enum PackReader {
    static let topKeys = ["name", "language", "description", "voice", "units", "cues", "sounds", "listen"]
    static let voiceKeys = ["name", "rate", "pitch", "volume"]
    static let unitKeys = ["minute", "minutes", "second", "seconds"]

    /// The default English pack, embedded in the binary.
    public static func builtinDefault() throws(UpturnError) -> CuePack {
        guard let bytes = ShippedSounds.file("en/pack.json5") else {
            throw UpturnError.internalError("the built-in English pack is missing from this build")
        }
        return try parse(bytes, file: "(built-in) en/pack.json5", folder: nil)
    }

    /// Reads the pack in `folder` (which holds `pack.json5`).
    public static func read(folder: String) throws(UpturnError) -> CuePack {
        let file = folder.hasSuffix("/") ? folder + "pack.json5" : folder + "/pack.json5"
        let bytes = try FileBytes.read(file, limit: JSON5Parser.maxInputBytes, what: "cue pack")
        return try parse(bytes, file: file, folder: folder)
    }

    /// Parses pack text; `folder` nil means the embedded default pack.
    public static func parse(_ bytes: [UInt8], file: String, folder: String?) throws(UpturnError) -> CuePack {
        var problems = Problems(file: file)
        let root: JSONNode
        do {
            root = try JSON5Parser.parse(bytes)
        } catch {
            problems.add(syntax: error)
            try problems.throwIfAny()
            throw UpturnError.internalError("unreachable")
        }
        let pack = read(root, folder: folder, file: file, problems: &problems)
        try problems.throwIfAny()
        guard let pack else { throw UpturnError.data("\(file): not a cue pack") }
        return pack
    }

    static func read(_ root: JSONNode, folder: String?, file: String, problems: inout Problems) -> CuePack? {
        guard let top = ObjectReader(root, path: "", problems: &problems) else { return nil }
        top.rejectUnknownKeys(topKeys, problems: &problems, what: "a cue pack")
        let name = top.string("name", problems: &problems, maxLength: 100) ?? folder.map { PathText.lastComponent($0) } ?? "pack"
        let language = top.string("language", problems: &problems, maxLength: 40) ?? "en"
        _ = top.string("description", problems: &problems, maxLength: 2000)
        let (voice, voiceLocation) = readVoice(top, language: language, problems: &problems)

        var units: [String: String] = [:]
        if let node = top["units"], let object = ObjectReader(node, path: "units", problems: &problems) {
            object.rejectUnknownKeys(unitKeys, problems: &problems, what: "units")
            for key in unitKeys {
                if let v = object.string(key, problems: &problems, maxLength: 40) { units[key] = v }
            }
        }
        let cues = readCues(top, folder: folder, problems: &problems)
        let sounds = readSounds(top, folder: folder, problems: &problems)
        var pack = CuePack(
            name: name, language: language, voice: voice, units: units, cues: cues, sounds: sounds, origin: file)
        pack.voiceLocation = voiceLocation ?? top["language"]?.location
        (pack.listen, pack.listenLocations) = readListen(top, problems: &problems)
        return pack
    }

    /// The words each voice command takes (`upturn listen`, `--controls voice`).
    static var listenCommands: [(key: String, command: ControlCommand?)] { VoiceCommands.packKeys }

    /// `listen: {phrases: {pause: "upturn pause", ...}, thresholds: {stop: 2}}`: phrases of
    /// two to six words; a command the pack does not name keeps its English phrase (the
    /// recognizer's model is English in every pack), so a pack that names some phrases never
    /// loses "upturn stop" unless it names another stop. Thresholds are numbers from -50 to
    /// `VoiceCommands.highestThreshold`: above it no command ever scores, and the phrase would
    /// silently never be heard.
    private static func readListen(_ top: ObjectReader, problems: inout Problems) -> (VoiceCommands?, [String: SourceLocation]) {
        guard let node = top["listen"], let object = ObjectReader(node, path: "listen", problems: &problems) else { return (nil, [:]) }
        object.rejectUnknownKeys(["phrases", "thresholds"], problems: &problems, what: "listen")
        let keys = listenCommands.map(\.key)
        var commands = VoiceCommands(phrases: [:])
        var locations: [String: SourceLocation] = [:]
        var byKey: [String: String] = [:]
        if let phrases = object["phrases"], let reader = ObjectReader(phrases, path: "listen.phrases", problems: &problems) {
            reader.rejectUnknownKeys(keys, problems: &problems, what: "listen.phrases")
            for (key, command) in listenCommands {
                guard let text = reader.string(key, problems: &problems, maxLength: 80) else { continue }
                let phrase = VoiceCommands.normalize(text)
                let words = phrase.split(separator: " ")
                guard (2...6).contains(words.count), words.allSatisfy({ $0.allSatisfy { $0.isLetter || $0 == "'" } }) else {
                    problems.add(
                        "a phrase should be two to six words of letters (one word false-triggers on ordinary speech), found \"\(text.prefix(60))\"",
                        at: reader[key]!.location, path: "listen.phrases.\(key)")
                    continue
                }
                if let other = byKey.first(where: { $0.value == phrase }) {
                    problems.add("the same phrase as listen.phrases.\(other.key)", at: reader[key]!.location, path: "listen.phrases.\(key)")
                    continue
                }
                byKey[key] = phrase
                locations[phrase] = reader[key]!.location
                if let command { commands.phrases[phrase] = command } else { commands.startPhrase = phrase }
            }
        }
        for (key, command) in listenCommands where byKey[key] == nil {
            guard let english = VoiceCommands.english.phrase(for: key), !byKey.values.contains(english) else { continue }
            byKey[key] = english
            if let command { commands.phrases[english] = command } else { commands.startPhrase = english }
        }
        if let thresholds = object["thresholds"], let reader = ObjectReader(thresholds, path: "listen.thresholds", problems: &problems) {
            reader.rejectUnknownKeys(keys, problems: &problems, what: "listen.thresholds")
            for member in reader.members {
                let highest = VoiceCommands.highestThreshold
                guard case .number(let value) = member.value.value, value.isFinite, (-50...highest).contains(value) else {
                    var found = member.value.typeName
                    if case .number(let value) = member.value.value, value.isFinite { found = value == value.rounded() ? "\(Int(value))" : "\(value)" }
                    problems.add(
                        "a threshold should be a number from -50 to \(Int(highest)) (commands score up to about 25; above \(Int(highest)) the phrase is never heard), found \(found)",
                        at: member.value.location, path: "listen.thresholds.\(member.key)")
                    continue
                }
                if let phrase = byKey[member.key] { commands.thresholds[phrase] = value }
            }
        }
        return (commands, locations)
    }

    /// `voice: {name, rate, pitch, volume}`; the voice named after the language when absent.
    private static func readVoice(
        _ top: ObjectReader, language: String, problems: inout Problems
    ) -> (VoiceSettings, SourceLocation?) {
        var voice = VoiceSettings(name: language)
        guard let node = top["voice"], let object = ObjectReader(node, path: "voice", problems: &problems) else { return (voice, nil) }
        object.rejectUnknownKeys(voiceKeys, problems: &problems, what: "a voice")
        if let v = object.string("name", problems: &problems, maxLength: 100) { voice.name = v }
        if let v = object.integer("rate", in: 80...450, problems: &problems, unit: "words per minute") { voice.rate = v }
        if let v = object.integer("pitch", in: 0...100, problems: &problems) { voice.pitch = v }
        if let v = object.integer("volume", in: 0...200, problems: &problems) { voice.volume = v }
        return (voice, object["name"]?.location)
    }

    /// `cues: {KEY: "template" | {file, text}}`, every key one of `CueKey.all`.
    private static func readCues(_ top: ObjectReader, folder: String?, problems: inout Problems) -> [String: CueSource] {
        var cues: [String: CueSource] = [:]
        guard let node = top["cues"], let object = ObjectReader(node, path: "cues", problems: &problems) else { return cues }
        for member in object.members {
            let path = "cues.\(member.key.prefix(60))"
            guard CueKey.names.contains(member.key) else {
                problems.add(
                    "unknown cue key '\(member.key.prefix(60))'\(Spelling.hint(for: member.key, in: CueKey.names))",
                    at: member.keyLocation, path: "cues")
                continue
            }
            switch member.value.value {
            case .string(let template):
                if checkTemplate(template, key: member.key, at: member.value.location, path: path, problems: &problems) {
                    cues[member.key] = .text(template)
                }
            case .object:
                guard let entry = ObjectReader(member.value, path: path, problems: &problems) else { continue }
                entry.rejectUnknownKeys(["file", "text"], problems: &problems, what: "a recorded cue")
                let text = entry.string("text", problems: &problems)
                guard let fileNode = entry["file"] else {
                    problems.add("a recorded cue needs \"file\"", at: member.value.location, path: path)
                    continue
                }
                if let ref = audioFile(fileNode, folder: folder, path: path + ".file", problems: &problems) {
                    cues[member.key] = .recording(ref, text: text)
                }
            default:
                problems.add(
                    "expected a text or {file: \"...\"}, found \(member.value.typeName)", at: member.value.location,
                    path: path)
            }
        }
        return cues
    }

    /// `sounds: {bell, tick, beep}`: files inside the pack's folder.
    private static func readSounds(_ top: ObjectReader, folder: String?, problems: inout Problems) -> [String: AudioFileRef] {
        var sounds: [String: AudioFileRef] = [:]
        guard let node = top["sounds"], let object = ObjectReader(node, path: "sounds", problems: &problems) else { return sounds }
        for member in object.members {
            guard CueKey.soundNames.contains(member.key) else {
                problems.add(
                    "unknown sound '\(member.key.prefix(60))'\(Spelling.hint(for: member.key, in: CueKey.soundNames))",
                    at: member.keyLocation, path: "sounds")
                continue
            }
            if let ref = audioFile(member.value, folder: folder, path: "sounds.\(member.key)", problems: &problems) {
                sounds[member.key] = ref
            }
        }
        return sounds
    }

    private static func checkTemplate(
        _ template: String, key: String, at location: SourceLocation, path: String, problems: inout Problems
    ) -> Bool {
        guard template.count <= 1000 else {
            problems.add("text longer than 1000 characters", at: location, path: path)
            return false
        }
        guard template.contains(where: { $0.isLetter || $0.isNumber || $0 == "{" }) else {
            problems.add("no words to say; write them, or delete the key to use the default pack's", at: location, path: path)
            return false
        }
        let (names, error) = Template.variables(in: template)
        if let error {
            problems.add("\(error) in \"\(template.prefix(60))\"", at: location, path: path)
            return false
        }
        let valid = CueKey.variables(for: key)
        var ok = true
        for name in names where !valid.contains(name) {
            problems.add(
                "unknown variable {\(name.prefix(40))}; \(key) may use " + valid.map { "{\($0)}" }.joined(separator: ", "),
                at: location, path: path)
            ok = false
        }
        return ok
    }

    /// A file named inside the pack: it must stay inside the pack's folder, links included.
    static func audioFile(_ node: JSONNode, folder: String?, path: String, problems: inout Problems) -> AudioFileRef? {
        guard case .string(let name) = node.value, !name.isEmpty, name.utf8.count <= 1024 else {
            problems.add("expected a file name inside the pack, found \(node.typeName)", at: node.location, path: path)
            return nil
        }
        if name.hasPrefix("/") || name.split(separator: "/").contains("..") || name.contains("\0") {
            problems.add("'\(name.prefix(80))' leaves the pack's folder; name a file inside it", at: node.location, path: path)
            return nil
        }
        guard let folder else {
            let embedded = "\(ShippedSounds.defaultPackName)/\(name)"
            guard ShippedSounds.file(embedded) != nil else {
                problems.add("'\(name)' is not in the built-in pack", at: node.location, path: path)
                return nil
            }
            return .embedded(path: embedded)
        }
        let full = PathText.join(folder, name)
        guard FileManager.default.fileExists(atPath: full) else {
            problems.add("'\(name.prefix(80))' does not exist in \(folder)", at: node.location, path: path)
            return nil
        }
        // Resolve links: the real file must still lie inside the pack's real folder.
        let realFolder = PathText.resolved(folder)
        let realFile = PathText.resolved(full)
        guard realFile.hasPrefix(realFolder.hasSuffix("/") ? realFolder : realFolder + "/") else {
            problems.add(
                "'\(name.prefix(80))' is a link to \(realFile), outside the pack's folder", at: node.location, path: path)
            return nil
        }
        return .file(path: full)
    }
}
