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
                try check(file)
                print("\(file): ok")
            } catch {
                CommandLineTool.report(error)
                if worst != .dataError { worst = error.code }
            }
        }
        return worst
    }

    static func check(_ file: String) throws(UpturnError) {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: file, isDirectory: &isFolder)
        if exists && isFolder.boolValue {
            _ = try PackReader.read(folder: file)
            return
        }
        if (file as NSString).lastPathComponent == "pack.json5" {
            _ = try PackReader.read(folder: (file as NSString).deletingLastPathComponent)
            return
        }
        let plan = try PlanReader.read(file: file)
        // The inverted-time cap needs a timeline; guess clip lengths rather than synthesize.
        let pack = try PackLocator.load(plan.pack)
        let rate = Session.defaultRate
        _ = try TimelineCompiler(plan: plan, pack: pack, rate: rate, measure: EstimatedClipLengths(rate: rate)).compile(file: file)
    }
}
