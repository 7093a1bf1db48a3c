import Foundation

/// The pack studio: the user's own cue packs, recorded on a phone. Packs live in
/// `$XDG_DATA_HOME/upturn/packs/NAME` (where `play --pack NAME` finds them); the page can
/// make one (a copy of the default pack's words), list its cues, and give a cue a recording.
/// A recording is decoded by libsndfile before anything is kept (a file that does not decode,
/// is silent, or is longer than `maxSeconds` is refused), written as `KEY.wav`, and the pack's
/// line for that cue is rewritten to name it; a pack that no longer reads is put back.
enum WebStudio {
    static let maxSeconds = 20.0
    /// Packs the page may make, in all.
    static let maxPacks = 20

    static func packFolder(_ name: String, in root: String) -> String? {
        guard let name = WebLibrary.validName(name) else { return nil }
        return root + "/" + name
    }

    static func packNames(_ root: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { WebLibrary.validName($0) != nil && FileManager.default.fileExists(atPath: root + "/" + $0 + "/pack.json5") }.sorted()
    }

    /// `GET /api/packs`
    static func list(root: String) -> WebResponse {
        .json(200, "{\"packs\": [\(packNames(root).map(JSONText.string).joined(separator: ", "))]}")
    }

    /// `POST /api/packs` with `{"name"}`: a new pack, the default pack's words to start from.
    static func create(_ request: WebRequest, root: String, log: (String) -> Void) -> WebResponse {
        guard let body = WebBody(request.body), let name = body.string("name"), let folder = packFolder(name, in: root) else {
            return .error(400, "a pack's name is letters, digits, - and _ (up to 60)")
        }
        guard packNames(root).count < maxPacks else { return .error(409, "there are \(maxPacks) packs already; remove one first") }
        do throws(UpturnError) {
            try PackAuthoring.scaffold(folder: folder, from: try PackReader.builtinDefault(), voice: nil)
        } catch {
            return .error(409, error.problems.first ?? "cannot make the pack")
        }
        log("web: made the pack \(folder)")
        return .json(200, "{\"name\": \(JSONText.string(name))}")
    }

    /// `GET /api/packs/NAME`: every cue, its words, and whether it has a recording.
    static func cues(_ name: String, root: String) -> WebResponse {
        guard let folder = packFolder(name, in: root), FileManager.default.fileExists(atPath: folder + "/pack.json5") else {
            return .error(404, "no pack named \(name.prefix(60))")
        }
        let pack: CuePack
        do throws(UpturnError) { pack = try PackReader.read(folder: folder) } catch {
            return .error(422, error.problems.first ?? "the pack does not read")
        }
        let items = CueKey.all.map { key -> String in
            var words = "", recorded = false
            switch pack.cues[key.key] {
            case .text(let template)?: words = Template.fill(template, PackAuthoring.exampleValues)
            case .recording(_, let text)?:
                words = text ?? ""
                recorded = true
            case nil: break
            }
            return "{\"key\": \(JSONText.string(key.key)), \"about\": \(JSONText.string(key.about)), \"words\": \(JSONText.string(words)), \"recorded\": \(recorded)}"
        }
        return .json(200, "{\"name\": \(JSONText.string(name)), \"cues\": [\(items.joined(separator: ", "))]}")
    }

    /// `PUT /api/packs/NAME/cues/KEY` with the recording (any format libsndfile reads).
    static func record(_ name: String, key: String, _ request: WebRequest, root: String, log: (String) -> Void) -> WebResponse {
        guard let folder = packFolder(name, in: root), FileManager.default.fileExists(atPath: folder + "/pack.json5") else {
            return .error(404, "no pack named \(name.prefix(60))")
        }
        guard let cue = CueKey.all.first(where: { $0.key == key }) else {
            return .error(400, "no cue '\(key.prefix(40))'\(Spelling.hint(for: key, in: CueKey.names))")
        }
        guard !request.body.isEmpty else { return .error(400, "no recording in the request") }
        let audio: DecodedAudio
        do throws(UpturnError) { audio = try AudioDecoder.decode(request.body, name: "the recording") } catch {
            return .error(422, error.problems.first ?? "the recording does not decode")
        }
        let seconds = Double(audio.samples.count) / Double(max(1, audio.rate))
        guard seconds <= maxSeconds else { return .error(422, String(format: "the recording is %.0f s; a cue is at most %.0f s", seconds, maxSeconds)) }
        guard audio.samples.contains(where: { abs($0) > 0.01 }) else { return .error(422, "the recording is silent") }
        // Kept as the decoded sound, 16-bit WAV: what was sent is never kept as it came.
        let file = cue.key + ".wav"
        let packFile = folder + "/pack.json5"
        guard let before = FileManager.default.contents(atPath: packFile) else { return .error(500, "cannot read \(packFile)") }
        do {
            try Data(WAVBytes.mono16(audio.samples, rate: audio.rate)).write(to: URL(fileURLWithPath: folder + "/" + file), options: .atomic)
        } catch {
            return .error(500, "cannot write \(folder)/\(file)")
        }
        let words: String
        if case .text(let template)? = (try? PackReader.read(folder: folder))?.cues[cue.key] {
            words = Template.fill(template, PackAuthoring.exampleValues)
        } else {
            words = WebBody(Array((request.headers["x-upturn-words"] ?? "").utf8)).flatMap { $0.string("words") } ?? ""
        }
        let entry = PackAuthoring.recordingLine(cue.key, file: file, words: words)
        let text = String(decoding: before, as: UTF8.self)
        var lines = text.components(separatedBy: "\n")
        if let at = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(JSONText.string(cue.key) + ":") }) {
            lines[at] = entry
        } else if let at = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("cues: {") }) {
            lines.insert(entry, at: at + 1)
        } else {
            return .error(422, "\(packFile): no cues object to add the recording to")
        }
        do {
            try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: packFile), options: .atomic)
            _ = try PackReader.read(folder: folder)
        } catch {
            try? before.write(to: URL(fileURLWithPath: packFile), options: .atomic)
            return .error(422, "the pack would not read with this recording; put back as it was")
        }
        log(String(format: "web: recorded %@ in %@ (%.1f s)", cue.key, folder, seconds))
        return .json(200, String(format: "{\"key\": %@, \"seconds\": %.2f}", JSONText.string(cue.key), seconds))
    }

    /// `POST /api/packs/NAME/check`: `upturn check` on the pack.
    static func check(_ name: String, root: String) -> WebResponse {
        guard let folder = packFolder(name, in: root), FileManager.default.fileExists(atPath: folder + "/pack.json5") else {
            return .error(404, "no pack named \(name.prefix(60))")
        }
        do throws(UpturnError) {
            _ = try Checker.checkPack(folder: folder)
            return .json(200, "{\"ok\": true, \"problems\": []}")
        } catch {
            return .json(200, "{\"ok\": false, \"problems\": [\(error.problems.map(JSONText.string).joined(separator: ", "))]}")
        }
    }
}

/// A 16-bit mono WAV file's bytes (the header is the WAV sink's).
enum WAVBytes {
    static func mono16(_ samples: [Float], rate: Int) -> [UInt8] {
        var bytes = WAVFileSink.header(rate: rate, dataBytes: samples.count * 2)
        bytes.reserveCapacity(bytes.count + samples.count * 2)
        for sample in samples {
            let v = UInt16(bitPattern: Int16(max(-1, min(1, sample)) * 32767))
            bytes += [UInt8(v & 0xFF), UInt8(v >> 8)]
        }
        return bytes
    }
}
