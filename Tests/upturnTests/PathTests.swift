import Foundation
import XCTest

/// Short, relative, non-ASCII and trailing-slash paths wherever a command takes one apart
/// (issue 18: one-character relative paths trapped in Foundation, exit 132).
final class PathTests: XCTestCase {
    /// Runs upturn with `folder` as its working folder.
    func run(in folder: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return Upturn.finish(
            try Upturn.start(["-c", "cd \"$0\" && exec \"$@\"", folder, Upturn.binary] + arguments, environment: environment, executable: "/bin/sh"),
            timeout: 60)
    }

    func testShortRelativeAndNonASCIIPathsNeverTrap() throws {
        let folder = Upturn.file("paths-\(UUID().uuidString.prefix(6))/é")
        let plan = "{title: 'Short', steps: [{say: 'Hello.'}]}"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try plan.write(toFile: folder + "/p", atomically: false, encoding: .utf8)
        let device = ["--device", "file:FILE=\(folder)/out.wav,FORMAT=wav"]
        for socket in ["x", "é", "s/"] {
            if socket == "s/" { try FileManager.default.createDirectory(atPath: folder + "/s", withIntermediateDirectories: true) }
            let play = try run(in: folder, ["play", "p", "--socket", socket, "--alone"] + device)
            XCTAssertTrue(play.exited, "play --socket \(socket) died of a signal: \(play.stderr)")
            XCTAssertTrue(play.status == 0 || (socket == "s/" && play.status == 69), "--socket \(socket): \(play.status) \(play.stderr)")
            XCTAssertFalse(play.stderr.contains("Fatal error") || play.stderr.contains("Program crashed"), play.stderr)
        }
        for name in ["b", "é", "c/"] {
            let made = try run(in: folder, ["pack", "new", name])
            XCTAssertTrue(made.exited, "pack new \(name): \(made.stderr)")
            XCTAssertEqual(made.status, 0, "pack new \(name): \(made.stderr)")
            let check = try run(in: folder, ["check", name.hasSuffix("/") ? name + "pack.json5" : name + "/pack.json5"])
            XCTAssertEqual(check.status, 0, check.stderr)
            let relative = try run(in: folder, ["render", "p", "--pack", name, "--output", "r.wav"])
            XCTAssertEqual(relative.status, 0, relative.stderr)
        }
        for home in ["é", "h", "h/"] {
            let show = try run(in: folder, ["show", "first-time"], environment: ["HOME": home, "XDG_CACHE_HOME": "", "XDG_DATA_HOME": ""])
            XCTAssertTrue(show.exited, "HOME=\(home): \(show.stderr)")
            XCTAssertEqual(show.status, 0, "HOME=\(home): \(show.stderr)")
        }
        let render = try run(in: folder, ["render", "p", "--output", "o"])
        XCTAssertEqual(render.status, 0, render.stderr)
    }
}

/// Names with escape codes in them are printed escaped, on every line (issue 18).
final class EscapedNamesTests: XCTestCase {
    func testCheckAndPackNewEscapeTheName() throws {
        let folder = Upturn.file("esc-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let plan = folder + "/a\u{1B}[31mred.json5"
        try "{title: 'x', steps: [{say: 'Hello.'}]}".write(toFile: plan, atomically: false, encoding: .utf8)
        let check = try Upturn.run(["check", plan])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertFalse(check.stdout.contains("\u{1B}"), check.stdout)
        let made = try Upturn.run(["pack", "new", folder + "/p\u{1B}[2Jack"])
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertTrue(made.stdout.hasPrefix("made "), made.stdout)
        XCTAssertFalse(made.stdout.contains("\u{1B}"), made.stdout)
    }
}
