import Foundation
import XCTest

@testable import UpturnKit

/// A status widget polls forever: a read must cost the same the millionth time and keep
/// nothing (issue 18: each read once lengthened a chain of closures until the player crashed).
final class StatusBoardTests: XCTestCase {
    /// The process's resident memory, in bytes, from /proc/self/statm.
    private func residentBytes() -> Int {
        let text = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testAMillionReadsKeepNothing() {
        let board = StatusBoard(idle: "{\"state\": \"idle\"}")
        let snapshot = "{\"state\": \"playing\", \"step\": 3}"
        board.show { snapshot }
        for _ in 0..<10_000 { XCTAssertEqual(board.json.count, snapshot.count) }
        let before = residentBytes()
        var total = 0
        for _ in 0..<1_000_000 { total &+= board.json.utf8.count }
        XCTAssertEqual(total, 1_000_000 * snapshot.utf8.count)
        // Each read that kept a thunk or two kept some 64 bytes: 64 MB over a million.
        let grown = residentBytes() - before
        XCTAssertLessThan(grown, 8 << 20, "a million status reads kept \(grown / 1024) KB")
        // Back to idle between sessions, and again: releasing what was shown must not recurse.
        board.showIdle()
        XCTAssertEqual(board.json, "{\"state\": \"idle\"}")
        for _ in 0..<100_000 { _ = board.json }
        board.setIdle("{\"state\": \"waiting\"}")
        XCTAssertEqual(board.json, "{\"state\": \"waiting\"}")
    }

    /// The sink factory is the same kind of replaceable function: opening sinks keeps nothing.
    func testOpeningSinksKeepsNothing() throws {
        let before = residentBytes()
        for _ in 0..<300_000 { _ = try AudioOutput.open(.memory, rate: 8_000) }
        let grown = residentBytes() - before
        XCTAssertLessThan(grown, 8 << 20, "300 000 opens kept \(grown / 1024) KB")
    }
}
