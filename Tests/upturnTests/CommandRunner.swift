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
        // A crash's report ends with the crashed thread's frames, not registers and a list of
        // libraries: CI shows a failing test's last lines (stop 29's showed only those).
        env["SWIFT_BACKTRACE"] = "enable=yes,threads=crashed,registers=none,images=none"
        return env
    }

    /// Starts `upturn` without waiting; stdout and stderr go to files.
    static func start(_ arguments: [String], environment: [String: String] = [:], executable: String? = nil) throws -> (Child, String, String) {
        let id = UUID().uuidString.prefix(8)
        let out = file("out-\(id)"), err = file("err-\(id)")
        let child = try Child(
            executable ?? binary, arguments, environment: baseEnvironment.merging(environment) { _, new in new }, stdout: out,
            stderr: err)
        return (child, out, err)
    }

    /// Waits for the process, killing it after `timeout` seconds (a hang fails the test).
    static func finish(_ started: (Child, String, String), timeout: Double = 120) -> CommandResult {
        let (child, out, err) = started
        if !child.finish(timeout: timeout) { XCTFail("upturn \(child.arguments) did not finish in \(timeout) s") }
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        return CommandResult(status: child.terminationStatus, exited: child.exited, stdout: stdout, stderr: stderr)
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> CommandResult {
        finish(try start(arguments, environment: environment), timeout: timeout)
    }
}

/// A child process started with posix_spawn and reaped with waitpid. Foundation's `Process`
/// is not used: on Linux its exit monitoring was seen to hang a long test run for good
/// after some hundreds of children (the first CI run stopped at the 90-minute limit).
final class Child {
    let pid: pid_t
    let arguments: [String]
    private var waitStatus: Int32?

    /// stdin is /dev/null unless `stdinFD` is given; stdout and stderr go to files (or /dev/null).
    init(
        _ executable: String, _ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        stdout: String? = nil, stderr: String? = nil, stdinFD: Int32? = nil
    ) throws {
        self.arguments = arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdinFD {
            posix_spawn_file_actions_adddup2(&actions, stdinFD, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else {
            throw NSError(domain: "spawn", code: Int(result), userInfo: [NSLocalizedDescriptionKey: "cannot start \(executable): \(String(cString: strerror(result)))"])
        }
        self.pid = pid
    }

    var processIdentifier: pid_t { pid }

    var isRunning: Bool {
        reap(block: false)
        return waitStatus == nil
    }

    private func reap(block: Bool) {
        guard waitStatus == nil else { return }
        var status: Int32 = 0
        let r = waitpid(pid, &status, block ? 0 : WNOHANG)
        if r == pid { waitStatus = status }
    }

    /// Waits up to `timeout` seconds (nil: for good); true when the child has exited.
    @discardableResult
    func wait(timeout: Double? = nil) -> Bool {
        guard let timeout else {
            reap(block: true)
            return true
        }
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(5_000) }
        return !isRunning
    }

    /// Waits up to `timeout` seconds; one still running then gets SIGTERM, and SIGKILL a
    /// second later. True when it ended by itself.
    func finish(timeout: Double) -> Bool {
        if wait(timeout: timeout) { return true }
        signal(SIGTERM)
        if !wait(timeout: 1) { signal(SIGKILL) }
        wait(timeout: 10)
        return false
    }

    func signal(_ signal: Int32) {
        if waitStatus == nil { kill(pid, signal) }
    }

    func terminate() { signal(SIGTERM) }

    /// True when the child exited (not killed by a signal).
    var exited: Bool { waitStatus.map { $0 & 0x7f == 0 } ?? false }

    /// The exit code, or the signal that ended it.
    var terminationStatus: Int32 {
        guard let status = waitStatus else { return -1 }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
    }

    /// Runs a tool to its end (at most `timeout` seconds) and returns its exit code.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment, stdout: String? = nil, timeout: Double = 120) throws -> Int32 {
        let child = try Child(executable, arguments, environment: environment, stdout: stdout)
        if !child.finish(timeout: timeout) { XCTFail("\(executable) \(arguments) did not finish in \(timeout) s") }
        return child.terminationStatus
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
