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
}
