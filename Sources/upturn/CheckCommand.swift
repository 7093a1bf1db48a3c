import Foundation
import UpturnKit

enum CheckCommand {
    static let help = """
        usage: upturn check FILE...

        Checks plans (.json5 files) and cue packs (folders, or their pack.json5) without
        playing or synthesizing anything. Every problem is printed, one per line, as
        file:line:column: message. Exit 0 when all are fine, 65 when any has a problem,
        66 when a file cannot be read.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "check", valued: [], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        guard !arguments.positionals.isEmpty else { throw UpturnError.usage("upturn check: name at least one plan or pack") }
        var worst = ExitCode.ok
        for file in arguments.positionals {
            do throws(UpturnError) {
                let note = try check(file)
                print("\(file): ok" + note)
            } catch {
                CommandLineTool.report(error)
                if worst != .dataError { worst = error.code }
            }
        }
        return worst
    }

    /// Checks one file; returns a note for the "ok" line.
    static func check(_ file: String) throws(UpturnError) -> String {
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
    static func checkPack(folder: String) throws(UpturnError) -> String {
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
