import Foundation

/// `upturn check`: plans and packs checked without playing or synthesizing anything.
public enum Checker {
    /// Checks one file; returns a note for the "ok" line.
    public static func check(_ file: String) throws(UpturnError) -> String {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: file, isDirectory: &isFolder)
        if exists && isFolder.boolValue {
            return try checkPack(folder: file)
        }
        if (file as NSString).lastPathComponent == "pack.json5" {
            return try checkPack(folder: (file as NSString).deletingLastPathComponent)
        }
        let plan = try PlanReader.read(file: file)
        // The inverted-time cap needs a timeline; guess clip lengths rather than synthesize.
        let pack = try PackLocator.load(plan.pack)
        let rate = Session.defaultRate
        _ = try TimelineCompiler(plan: plan, pack: pack, rate: rate, measure: EstimatedClipLengths(rate: rate)).compile(file: file)
        return ""
    }

    /// A pack: its file, its voice (espeak-ng must have it), and the keys it leaves to the default.
    public static func checkPack(folder: String) throws(UpturnError) -> String {
        let pack = try PackReader.read(folder: folder)
        let voices = EspeakSynthesizer.installedVoices()
        if !EspeakSynthesizer.knows(pack.voice.name, installed: voices) {
            var problems = Problems(file: pack.origin)
            problems.add(EspeakSynthesizer.unknownVoiceMessage(pack.voice.name, installed: voices), at: pack.voiceLocation, path: "voice.name")
            try problems.throwIfAny()
        }
        let missing = CueKey.names.filter { pack.cues[$0] == nil } + CueKey.soundNames.filter { pack.sounds[$0] == nil }
        guard !missing.isEmpty else { return "" }
        return " (\(missing.count) from the default pack: \(missing.joined(separator: ", ")))"
    }
}
