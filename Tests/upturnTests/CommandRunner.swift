import Foundation
import XCTest

/// Runs the built `upturn` binary the way a user does, with a scratch cache.
struct CommandResult {
    var status: Int32
    /// False when the process died of a signal (a trap or crash).
    var exited: Bool
    var stdout: String
    var stderr: String
}

enum Upturn {
    /// `upturn`, built next to the test bundle.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var folder = (exe as NSString).deletingLastPathComponent
        while !folder.isEmpty && folder != "/" {
            let candidate = folder + "/upturn"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return "upturn"
    }

    /// One scratch folder per test run; the prompt cache in it warms once.
    static let scratch: String = {
        let base = ProcessInfo.processInfo.environment["UPTURN_TEST_SCRATCH"] ?? NSTemporaryDirectory()
        let path = base + "/cli-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path + "/cache", withIntermediateDirectories: true)
        // A history with one session already: tests that compare two plays must not see the
        // first-session preamble in one of them. History tests use folders of their own.
        try? FileManager.default.createDirectory(atPath: path + "/data/upturn", withIntermediateDirectories: true)
        let seed = "{\"v\": 1, \"event\": \"start\", \"id\": \"seed\", \"start\": \"2026-01-01T07:00:00Z\", \"plan\": \"first-time\", \"title\": \"First time\", \"steps\": 11}\n"
        FileManager.default.createFile(atPath: path + "/data/upturn/history.jsonl", contents: Data(seed.utf8))
        return path
    }()

    static func file(_ name: String) -> String { scratch + "/" + name }

    static func write(_ name: String, _ text: String) -> String {
        FileManager.default.createFile(atPath: file(name), contents: Data(text.utf8))
        return file(name)
    }

    static func write(_ name: String, bytes: [UInt8]) -> String {
        FileManager.default.createFile(atPath: file(name), contents: Data(bytes))
        return file(name)
    }

    static var baseEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["XDG_CACHE_HOME"] = scratch + "/cache"
        env["XDG_DATA_HOME"] = scratch + "/data"
        return env
    }

    /// Starts `upturn` without waiting; stdout and stderr go to files.
    static func start(_ arguments: [String], environment: [String: String] = [:], executable: String? = nil) throws -> (Process, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? binary)
        process.arguments = arguments
        process.environment = baseEnvironment.merging(environment) { _, new in new }
        let id = UUID().uuidString.prefix(8)
        let out = file("out-\(id)"), err = file("err-\(id)")
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    /// Waits for the process, killing it after `timeout` seconds (a hang fails the test).
    static func finish(_ started: (Process, String, String), timeout: Double = 120) -> CommandResult {
        let (process, out, err) = started
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            XCTFail("upturn \(process.arguments ?? []) did not finish in \(timeout) s")
        }
        process.waitUntilExit()
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        return CommandResult(
            status: process.terminationStatus, exited: process.terminationReason == .exit, stdout: stdout, stderr: stderr)
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> CommandResult {
        finish(try start(arguments, environment: environment), timeout: timeout)
    }
}

/// A mono 16-bit WAV file's samples.
func readWAV(_ path: String) throws -> (rate: Int, samples: [Int16]) {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    guard bytes.count >= 44, Array(bytes[0..<4]) == Array("RIFF".utf8) else { throw CocoaError(.fileReadCorruptFile) }
    func le32(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24 }
    var i = 12
    var rate = 0
    while i + 8 <= bytes.count {
        let id = String(decoding: bytes[i..<(i + 4)], as: UTF8.self)
        let size = le32(i + 4)
        if id == "fmt " { rate = le32(i + 12) }
        if id == "data" {
            let end = min(bytes.count, i + 8 + size)
            var samples = [Int16](repeating: 0, count: (end - i - 8) / 2)
            for k in samples.indices { samples[k] = Int16(bitPattern: UInt16(bytes[i + 8 + 2 * k]) | UInt16(bytes[i + 9 + 2 * k]) << 8) }
            return (rate, samples)
        }
        i += 8 + size + (size & 1)
    }
    throw CocoaError(.fileReadCorruptFile)
}

/// The events of `upturn show --json`.
func showJSON(_ plan: String, extra: [String] = []) throws -> (frames: Int, events: [[String: Any]]) {
    let result = try Upturn.run(["show", plan, "--json"] + extra)
    XCTAssertEqual(result.status, 0, result.stderr)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    return (try XCTUnwrap(object["frames"] as? Int), try XCTUnwrap(object["events"] as? [[String: Any]]))
}
