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
        let board = StatusBoard(idle: .waiting(ServeWaiting(audioReady: false)))
        var snapshot = PlayerSnapshot()
        snapshot.step = 3
        board.publish(snapshot)
        let json = snapshot.json
        for _ in 0..<10_000 { XCTAssertEqual(board.json.count, json.count) }
        let before = residentBytes()
        var total = 0
        for _ in 0..<1_000_000 { total &+= board.json.utf8.count }
        XCTAssertEqual(total, 1_000_000 * json.utf8.count)
        // Each read that kept a thunk or two kept some 64 bytes: 64 MB over a million.
        let grown = residentBytes() - before
        XCTAssertLessThan(grown, 8 << 20, "a million status reads kept \(grown / 1024) KB")
        // Back to idle between sessions, and again.
        board.showIdle()
        XCTAssertEqual(board.json, "{\"state\": \"waiting\", \"audio_ready\": false}")
        for _ in 0..<100_000 { _ = board.json }
        board.setIdle(.waiting(ServeWaiting(audioReady: true, today: .init(program: "core", level: 2, angle: 40))))
        XCTAssertEqual(board.json, "{\"state\": \"waiting\", \"audio_ready\": true, \"today\": {\"program\": \"core\", \"level\": 2, \"angle\": 40}}")
        XCTAssertEqual(StatusBoard().json, "{\"state\": \"starting\"}")
    }

    /// Subscribers are woken by a change, not by time: a moving position alone wakes nobody.
    func testChangesArePushedAndPositionAloneIsNot() throws {
        let board = StatusBoard()
        let subscription = try board.subscribe()
        func readable() -> Bool {
            var fds = [pollfd(fd: subscription.fd, events: Int16(POLLIN), revents: 0)]
            return poll(&fds, 1, 0) > 0
        }
        XCTAssertFalse(readable())
        var snapshot = PlayerSnapshot()
        snapshot.steps = 4
        snapshot.title = "Welcome"
        board.publish(snapshot)
        XCTAssertTrue(readable())
        XCTAssertEqual(subscription.take(), [.started, .stepChanged(0)])
        XCTAssertFalse(readable(), "take() empties the pipe")
        for second in 1...100 {
            snapshot.seconds = Double(second) / 4
            snapshot.stepLeft = 30 - Double(second) / 4
            board.publish(snapshot)
        }
        XCTAssertFalse(readable(), "the position moved; nothing changed")
        XCTAssertEqual(board.status.playing?.seconds, 25)
        snapshot.step = 1
        snapshot.title = "Tilt back"
        snapshot.inverted = true
        board.publish(snapshot)
        snapshot.paused = true
        board.publish(snapshot)
        snapshot.checkIn = true
        board.publish(snapshot)
        XCTAssertEqual(subscription.take(), [.stepChanged(1), .inverted(true), .paused, .checkIn(true)])
        snapshot.paused = false
        board.publish(snapshot)
        board.showIdle()
        XCTAssertEqual(subscription.take(), [.resumed, .ended])
        board.unsubscribe(subscription)
        board.publish(snapshot)
        XCTAssertFalse(readable(), "unsubscribed")
    }

    /// The sink factory is the same kind of replaceable function: opening sinks keeps nothing.
    func testOpeningSinksKeepsNothing() throws {
        let before = residentBytes()
        for _ in 0..<300_000 { _ = try AudioOutput.open(.memory, rate: 8_000) }
        let grown = residentBytes() - before
        XCTAssertLessThan(grown, 8 << 20, "300 000 opens kept \(grown / 1024) KB")
    }
}
