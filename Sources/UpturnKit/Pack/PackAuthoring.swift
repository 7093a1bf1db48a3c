import Foundation
import UpturnSounds

/// Authoring helpers behind `upturn pack keys|new|audition` and `upturn packs`.
public enum PackAuthoring {
    /// An example of each variable, to show and audition templates.
    public static let exampleValues: [String: String] = [
        "angle": "30", "n": "3", "count": "8", "seconds": "10", "minutes": "12", "duration": "2 minutes",
        "exercise": "Arms overhead", "next": "Rest upright", "step": "4", "steps": "12", "title": "Morning stretch",
    ]

    /// Every cue key with its variables and the default pack's words, one per line.
    public static func keysListing() throws(UpturnError) -> String {
        let pack = try PackReader.builtinDefault()
        let width = CueKey.all.map(\.key.count).max() ?? 0
        var lines: [String] = []
        for key in CueKey.all {
            let variables = key.variables.isEmpty ? "" : " " + key.variables.map { "{\($0)}" }.joined(separator: " ")
            var example = ""
            if case .text(let template)? = pack.cues[key.key] { example = Template.fill(template, exampleValues) }
            lines.append(key.key.padding(toLength: width + 2, withPad: " ", startingAt: 0) + "\(key.about)\(variables)")
            lines.append(String(repeating: " ", count: width + 2) + "e.g. \"\(example)\"")
        }
        lines.append("sounds: " + CueKey.soundNames.joined(separator: ", ") + "; every template may also use " + CueKey.commonVariables.map { "{\($0)}" }.joined(separator: " "))
        return lines.joined(separator: "\n")
    }

    /// Writes a complete pack into `folder`: every key, the chimes, from an existing pack.
    public static func scaffold(folder: String, from source: CuePack, voice: String?) throws(UpturnError) {
        let fm = FileManager.default
        if fm.fileExists(atPath: folder + "/pack.json5") {
            throw UpturnError.cantCreate("\(folder): already holds a pack.json5; choose a new folder")
        }
        do throws(Errno) { try FileBytes.makeFolders(folder) } catch {
            throw UpturnError.system(.cantCreate, "\(folder): cannot make the folder", error)
        }
        let name = PathText.lastComponent(folder)
        var text = "// A cue pack made by `upturn pack new`. Change any words; a key you delete falls back to the default pack.\n"
        text += "// Check it with `upturn check \(folder)`, hear it with `upturn pack audition \(folder)`.\n{\n"
        text += "  name: \(JSONText.string(name)),\n"
        text += "  language: \(JSONText.string(source.language)),\n"
        let v = source.voice
        text += "  voice: { name: \(JSONText.string(voice ?? v.name)), rate: \(v.rate), pitch: \(v.pitch), volume: \(v.volume) },\n"
        let units = ["minute", "minutes", "second", "seconds"].map { "\($0): \(JSONText.string(source.units[$0] ?? $0))" }
        text += "  units: { \(units.joined(separator: ", ")) },\n"
        text += "  cues: {\n"
        var copies: [(AudioFileRef, String)] = []
        for key in CueKey.all {
            text += "    // \(key.about)" + (key.variables.isEmpty ? "" : ": " + key.variables.map { "{\($0)}" }.joined(separator: " ")) + "\n"
            switch source.cues[key.key] {
            case .text(let template)?:
                text += "    \(JSONText.string(key.key)): \(JSONText.string(template)),\n"
            case .recording(let ref, let words)?:
                let file = fileName(ref)
                copies.append((ref, file))
                text += recordingLine(key.key, file: file, words: words) + "\n"
            case nil:
                break
            }
        }
        text += "  },\n  sounds: {"
        var sounds: [String] = []
        for name in CueKey.soundNames {
            guard let ref = source.sounds[name] else { continue }
            let file = fileName(ref)
            copies.append((ref, file))
            sounds.append(" \(name): \(JSONText.string(file))")
        }
        text += sounds.joined(separator: ",") + " },\n}\n"
        for (ref, file) in copies {
            let target = folder + "/" + file
            switch ref {
            case .embedded(let path):
                guard let bytes = ShippedSounds.file(path), fm.createFile(atPath: target, contents: Data(bytes)) else {
                    throw UpturnError.cantCreate("\(target): cannot write")
                }
            case .file(let path):
                if !fm.fileExists(atPath: target) {
                    do { try fm.copyItem(atPath: path, toPath: target) } catch {
                        throw UpturnError.cantCreate("\(target): cannot copy \(path)")
                    }
                }
            }
        }
        guard fm.createFile(atPath: folder + "/pack.json5", contents: Data(text.utf8)) else {
            throw UpturnError.cantCreate("\(folder)/pack.json5: cannot write")
        }
    }

    /// A pack's line for a cue given by a recording (`pack new`, and the page's pack studio,
    /// which rewrites one such line).
    static func recordingLine(_ key: String, file: String, words: String?) -> String {
        "    \(JSONText.string(key)): { file: \(JSONText.string(file))" + (words.map { ", text: \(JSONText.string($0))" } ?? "") + " },"
    }

    static func fileName(_ ref: AudioFileRef) -> String {
        switch ref {
        case .embedded(let path), .file(let path): return PathText.lastComponent(path)
        }
    }

    /// The installed packs, by name: the built-in default, then each search folder's.
    public static func installedPacks() -> [(name: String, language: String, voice: String, folder: String)] {
        var found: [(String, String, String, String)] = []
        var seen: Set<String> = []
        if let pack = try? PackReader.builtinDefault() {
            found.append((pack.name, pack.language, pack.voice.name, "(built-in)"))
            seen.insert(pack.name)
        }
        for folder in PackLocator.searchFolders {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            for name in names where !seen.contains(name) {
                let path = folder + "/" + name
                guard FileManager.default.fileExists(atPath: path + "/pack.json5"), let pack = try? PackReader.read(folder: path) else { continue }
                seen.insert(name)
                found.append((name, pack.language, pack.voice.name, path))
            }
        }
        return found
    }
}
