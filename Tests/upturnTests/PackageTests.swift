import Foundation
import XCTest

/// The Debian package, built, checked with lintian, installed and used from a clean
/// environment (no build folder, no Swift on PATH), then purged; the man page and the bash
/// completion with it.
final class PackageTests: XCTestCase {
    let root = ShippedPacks.folder + "/.."

    func shell(_ script: String, environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Double = 120) throws -> (status: Int32, output: String) {
        let out = Upturn.file("shell-\(UUID().uuidString.prefix(8)).out")
        let child = try Child("/bin/bash", ["-c", "{\n" + script + "\n} >'\(out)' 2>&1"], environment: environment)
        XCTAssertTrue(child.finish(timeout: timeout), "timed out: \(script)")
        return (child.terminationStatus, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    /// The completion offers every option each command's usage line names.
    func testTheCompletionKnowsEveryOption() throws {
        for command in ["play", "render", "show", "check", "programs", "say", "voices", "devices", "ctl", "pack", "packs", "schema", "history", "serve", "listen", "web", "angle"] {
            let usage = try Upturn.run([command, "--help"]).stdout.components(separatedBy: "\n\n")[0]
            let named = Set(usage.matches(of: /--[a-z][a-z-]*/).map { String($0.output) })
            let offered = try shell("source '\(root)/Scripts/completion/upturn.bash'; _upturn_options \(command)").output
            let completed = Set(offered.split(whereSeparator: \.isWhitespace).map(String.init))
            XCTAssertTrue(named.isSubset(of: completed), "\(command): \(named.subtracting(completed)) not completed")
        }
    }

    /// A binary that needs the toolchain's Swift runtime is refused, not shipped with a RUNPATH
    /// into /opt/swift (issue 18: a lintian error nobody checked).
    func testADynamicBinaryIsRefused() throws {
        let out = Upturn.file("deb-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let made = try shell("'\(root)/Scripts/package' --binary '\(Upturn.binary)' --output '\(out)'", timeout: 300)
        XCTAssertEqual(made.status, 64, made.output)
        XCTAssertTrue(made.output.contains("needs the Swift runtime of the toolchain"), made.output)
        XCTAssertTrue(made.output.contains("--static-swift-stdlib"), made.output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [])
    }

    func testThePackageInstallsWorksWithoutSwiftAndPurgesClean() throws {
        // Scripts/test builds the package before the tests run (a build inside `swift test`
        // would wait for the test's own lock on the build folder).
        guard getuid() == 0, let path = ProcessInfo.processInfo.environment["UPTURN_TEST_DEB"] else {
            throw XCTSkip("needs root and a package: Scripts/test builds one (UPTURN_TEST_DEB)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), path)
        let lint = try shell("lintian '\(path)'")
        XCTAssertFalse(lint.output.split(separator: "\n").contains { $0.hasPrefix("E: ") }, lint.output)
        XCTAssertFalse(lint.output.contains("maintainer-script-calls-systemctl"), lint.output)
        // The maintainer scripts: sound alone for the packaged (socket) unit; deb-systemd-invoke.
        let scripts = try shell("dpkg-deb --ctrl-tarfile '\(path)' | tar -xO ./postinst ./prerm")
        XCTAssertFalse(scripts.output.contains("audio input gpio") || scripts.output.contains("upturn input"), scripts.output)
        XCTAssertTrue(scripts.output.contains("adduser --quiet upturn audio"), scripts.output)
        XCTAssertFalse(scripts.output.contains("systemctl disable"), scripts.output)

        _ = try shell("dpkg --purge upturn")
        // Through the service installer, which takes the package and writes the unit for a device.
        let units = Upturn.file("units-\(UUID().uuidString.prefix(6))")
        let installed = try shell("'\(root)/Scripts/install-service' --deb '\(path)' --unit-dir '\(units)' --device plughw:1 --no-account --no-start", timeout: 300)
        XCTAssertEqual(installed.status, 0, installed.output)
        defer { _ = try? shell("dpkg --purge upturn") }
        let unit = (try? String(contentsOfFile: units + "/upturn.service", encoding: .utf8)) ?? ""
        XCTAssertTrue(unit.contains("ExecStart=/usr/bin/upturn serve --device plughw:1 --controls socket"), unit)
        // A clean environment: nothing of the build, no Swift.
        let home = Upturn.file("clean-home-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let clean = ["PATH": "/usr/bin:/bin", "HOME": home]
        let render = try shell("cd '\(home)' && upturn render first-time --output out.wav && upturn packs && command -v swift || true", environment: clean)
        XCTAssertEqual(render.status, 0, render.output)
        XCTAssertTrue(render.output.contains("/usr/share/upturn/packs/de"), render.output)
        XCTAssertFalse(render.output.contains("/swift"), "Swift was on PATH: \(render.output)")
        XCTAssertTrue(try readWAV(home + "/out.wav").samples.contains { abs(Int($0)) > 1000 }, "the installed program speaks")
        let page = try shell("MANWIDTH=80 man -l /usr/share/man/man1/upturn.1.gz", environment: clean.merging(["LANG": "C.UTF-8"]) { _, n in n })
        XCTAssertEqual(page.status, 0, page.output)
        for word in ["SYNOPSIS", "COMMANDS", "usage: upturn serve", "EXIT STATUS", "XDG_RUNTIME_DIR"] {
            XCTAssertTrue(page.output.contains(word), word)
        }
        let completion = try shell(
            """
            source /usr/share/bash-completion/completions/upturn
            words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _upturn; echo "${COMPREPLY[*]}"; }
            words upturn pl; words upturn play ''; words upturn play --pack ''
            """, environment: clean)
        let lines = completion.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "play", completion.output)
        XCTAssertTrue(lines.count == 3 && lines[1].contains("first-time") && lines[1].contains("full"), completion.output)
        XCTAssertTrue(lines.count == 3 && lines[2].split(separator: " ").contains("de"), completion.output)

        let purged = try shell("dpkg --purge upturn")
        XCTAssertEqual(purged.status, 0, purged.output)
        for gone in ["/usr/bin/upturn", "/usr/share/upturn", "/lib/systemd/system/upturn.service", "/usr/share/man/man1/upturn.1.gz",
                     "/usr/share/bash-completion/completions/upturn", "/usr/share/doc/upturn"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: gone), "\(gone) is left after purge")
        }
    }
}
