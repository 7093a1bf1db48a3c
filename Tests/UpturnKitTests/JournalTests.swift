import Foundation
import XCTest

@testable import UpturnKit

final class JournalTests: XCTestCase {
    func testStartAndEndMakeASession() throws {
        let journal = Journal(path: temporaryFolder() + "/history.jsonl")
        var record = SessionRecord(id: "a", start: Date(timeIntervalSince1970: 1_800_000_000), plan: "core", title: "Core", steps: 14)
        try journal.recordStart(record)
        record.end = Date(timeIntervalSince1970: 1_800_000_600)
        record.stepsDone = 14
        record.invertedSeconds = 201.44
        record.highestAngle = 40
        record.ending = .finished
        try journal.recordEnd(record)
        let (sessions, warnings) = journal.read()
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(sessions.count, 1)
        XCTAssertEqual(sessions[0].ending, .finished)
        XCTAssertEqual(sessions[0].stepsDone, 14)
        XCTAssertEqual(sessions[0].invertedSeconds, 201.4)
        XCTAssertEqual(sessions[0].highestAngle, 40)
        XCTAssertEqual(sessions[0].end, record.end)
    }

    func testAKillATornLineGarbageAndANewerVersion() throws {
        let path = temporaryFolder() + "/history.jsonl"
        let journal = Journal(path: path)
        try journal.recordStart(SessionRecord(id: "killed", start: Date(), plan: "full", title: "Full", steps: 30))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("not json at all\n{\"v\": 9, \"event\": \"start\", \"id\": \"n\", \"start\": \"2026-01-01T00:00:00Z\", \"plan\": \"x\", \"steps\": 1, \"mood\": 3}\n{\"v\": 1, \"event\": \"end\", \"id\": \"kil".utf8))
        try handle.close()
        let (sessions, warnings) = journal.read()
        XCTAssertEqual(sessions.map(\.id), ["killed", "n"])
        XCTAssertEqual(sessions[0].ending, .killed)
        XCTAssertEqual(warnings.count, 3, "\(warnings)")
        XCTAssertTrue(warnings[0].contains("torn last line"))
        // A newer record of a kind this version does not know is counted as newer, not also as garbage.
        let newer = temporaryFolder() + "/newer.jsonl"
        FileManager.default.createFile(atPath: newer, contents: Data("{\"garbage\n{\"v\": 99, \"kind\": \"week\"}\n".utf8))
        XCTAssertEqual(
            Journal(path: newer).read().warnings,
            ["\(newer): skipped 1 line that could not be read", "\(newer): 1 line is from a newer Upturn; read as far as possible"])
        // Writing goes on after a torn line, on a line of its own.
        try journal.recordStart(SessionRecord(id: "next", start: Date(), plan: "core", title: "Core", steps: 14))
        XCTAssertEqual(journal.read().sessions.map(\.id), ["killed", "n", "next"])
    }

    /// A session killed mid-way (kill -9, a power cut) still shows what it had done: its
    /// progress lines, written as it played.
    func testProgressLinesKeepWhatAKilledSessionDid() throws {
        let journal = Journal(path: temporaryFolder() + "/history.jsonl")
        var record = SessionRecord(id: "p", start: Date(), plan: "core", title: "Core", steps: 4)
        try journal.recordStart(record)
        record.stepsDone = 1
        record.invertedSeconds = 8
        record.highestAngle = 30
        try journal.recordProgress(record)
        record.stepsDone = 2
        record.invertedSeconds = 28.04
        try journal.recordProgress(record)
        let (sessions, warnings) = journal.read()
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(sessions.count, 1)
        XCTAssertEqual(sessions[0].ending, .killed)
        XCTAssertEqual(sessions[0].stepsDone, 2)
        XCTAssertEqual(sessions[0].invertedSeconds, 28)
        XCTAssertEqual(sessions[0].highestAngle, 30)
    }

    /// Numbers out of range in a hand-edited or damaged line skip that line, with a warning;
    /// they never reach arithmetic that would trap.
    func testNumbersOutOfRangeSkipTheLine() throws {
        let path = temporaryFolder() + "/history.jsonl"
        let start = "{\"v\": 1, \"event\": \"start\", \"id\": \"ID\", \"start\": \"2026-01-01T07:00:00Z\", \"plan\": \"core\", \"steps\": 4}\n"
        var text = ""
        let ends = ["\"inverted_seconds\": 1e16", "\"inverted_seconds\": 1e300", "\"inverted_seconds\": -1e19", "\"steps_done\": 1e300", "\"highest_angle\": -5", "\"steps_done\": \"x\""]
        for (i, field) in ends.enumerated() {
            text += start.replacingOccurrences(of: "ID", with: "s\(i)")
            text += "{\"v\": 1, \"event\": \"end\", \"id\": \"s\(i)\", \"ended\": \"finished\", \(field)}\n"
        }
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        let (sessions, warnings) = Journal(path: path).read()
        XCTAssertEqual(sessions.count, ends.count)
        XCTAssertTrue(sessions.allSatisfy { $0.ending == .killed && $0.invertedSeconds == 0 }, "every bad end line was skipped")
        XCTAssertEqual(warnings, ["\(path): skipped \(ends.count) lines that could not be read"])
        let summary = HistorySummary(history: sessions, since: nil, rules: Progression.Rules())
        XCTAssertEqual(summary.invertedSeconds, 0)
    }
}

/// The history and the prompt cache are the user's alone (issue 18: a fresh history was
/// 0644 in folders of 0755, and another user read the sessions and the cue texts).
final class PrivateFilesTests: XCTestCase {
    func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0, path)
        return info.st_mode & 0o777
    }

    func testANewHistoryAndCacheAreClosedToOthers() throws {
        let base = temporaryFolder()
        let journal = Journal(path: base + "/data/upturn/history.jsonl")
        try journal.recordStart(SessionRecord(id: "a", start: Date(), plan: "core", title: "Core", steps: 1))
        XCTAssertEqual(mode(base + "/data/upturn/history.jsonl"), 0o600)
        XCTAssertEqual(mode(base + "/data/upturn"), 0o700)
        XCTAssertEqual(mode(base + "/data"), 0o700)

        let cache = try XCTUnwrap(PromptCache(folder: base + "/cache/upturn"))
        cache.store([1, 2, 3], for: "k")
        XCTAssertEqual(mode(base + "/cache/upturn"), 0o700)
        XCTAssertEqual(mode(cache.path(for: "k")), 0o600)
    }

    func testAnOlderOpenHistoryAndCacheAreClosed() throws {
        let base = temporaryFolder()
        try FileManager.default.createDirectory(atPath: base + "/upturn", withIntermediateDirectories: true)
        chmod(base + "/upturn", 0o755)
        FileManager.default.createFile(atPath: base + "/upturn/history.jsonl", contents: Data(), attributes: [.posixPermissions: 0o644])
        try Journal(path: base + "/upturn/history.jsonl").recordStart(SessionRecord(id: "a", start: Date(), plan: "core", title: "Core", steps: 1))
        XCTAssertEqual(mode(base + "/upturn/history.jsonl"), 0o600)
        XCTAssertEqual(mode(base + "/upturn"), 0o700)
        try FileManager.default.createDirectory(atPath: base + "/cache", withIntermediateDirectories: true)
        chmod(base + "/cache", 0o755)
        _ = try XCTUnwrap(PromptCache(folder: base + "/cache"))
        XCTAssertEqual(mode(base + "/cache"), 0o700)
    }
}

final class JournalReadTests: XCTestCase {
    /// A journal path that is a folder says so, instead of "0 sessions" as if true.
    func testAFolderAtTheJournalsPathIsAWarning() throws {
        let folder = temporaryFolder()
        let (sessions, warnings) = Journal(path: folder).read()
        XCTAssertEqual(sessions.count, 0)
        XCTAssertEqual(warnings, ["\(folder): cannot read the history: it is a folder"])
        XCTAssertEqual(Journal(path: folder + "/none.jsonl").read().warnings, [], "a new history is no warning")
    }
}
