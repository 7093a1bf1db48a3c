import XCTest

@testable import UpturnKit

/// `upturn serve` between sessions, without audio or threads: events and times in, actions out.
final class ServeMachineTests: XCTestCase {
    let choices = ["today", "first-time", "stretch", "core", "full"]

    func announced(_ actions: [ServeMachine.Action]) -> String? {
        for case .announce(let choice, _) in actions { return choice }
        return nil
    }

    func started(_ actions: [ServeMachine.Action]) -> String? {
        for case .start(let plan) in actions { return plan }
        return nil
    }

    func testAPressSaysTodayAndASecondPressStartsIt() {
        var machine = ServeMachine(choices: choices)
        XCTAssertNil(machine.deadline)
        let first = machine.handle(.control(.toggle), at: 100)
        XCTAssertEqual(first, [.log("press: announcing today's session"), .showStatus, .announce(choice: "today", listing: nil)])
        XCTAssertEqual(machine.announced, "today")
        XCTAssertEqual(machine.deadline, 100 + ServeMachine.answerSeconds)
        let second = machine.handle(.control(.toggle), at: 110)
        XCTAssertEqual(second, [.log("second press: starting today"), .start(plan: "today")])
        XCTAssertNil(machine.announced)
        XCTAssertNil(machine.deadline)
    }

    func testALongPressListsTheOthersThenSaysThemOneByOne() {
        var machine = ServeMachine(choices: choices)
        let list = machine.handle(.control(.stop), at: 0)
        XCTAssertEqual(list.first, .log("long press: listing the other sessions"))
        XCTAssertTrue(list.contains(.announce(choice: "first-time", listing: ["first-time", "stretch", "core", "full"])))
        XCTAssertEqual(announced(machine.handle(.control(.skip), at: 1)), "stretch")
        XCTAssertEqual(announced(machine.handle(.control(.stop), at: 2)), "core")
        XCTAssertEqual(announced(machine.handle(.control(.back), at: 3)), "stretch")
        XCTAssertEqual(started(machine.handle(.control(.resume), at: 4)), "stretch")
    }

    func testALongPressAfterTodaysAnnouncementListsTheOthers() {
        var machine = ServeMachine(choices: choices)
        _ = machine.handle(.control(.toggle), at: 0)
        let actions = machine.handle(.control(.stop), at: 1)
        XCTAssertEqual(actions.first, .log("long press: listing the other sessions"))
        XCTAssertEqual(announced(actions), "first-time")
    }

    func testTheChoicesGoRoundBothWays() {
        var machine = ServeMachine(choices: choices)
        _ = machine.handle(.control(.skip), at: 0)  // first-time
        for expected in ["stretch", "core", "full", "today", "first-time"] {
            XCTAssertEqual(announced(machine.handle(.control(.skip), at: 1)), expected)
        }
        XCTAssertEqual(announced(machine.handle(.control(.back), at: 2)), "today")
        XCTAssertEqual(announced(machine.handle(.control(.back), at: 3)), "full")
    }

    func testAnAnnouncementNotTakenUpGoesBackToWaiting() {
        var machine = ServeMachine(choices: choices)
        _ = machine.handle(.control(.toggle), at: 10)
        XCTAssertEqual(machine.handle(.tick, at: 10 + ServeMachine.answerSeconds - 0.5), [], "not yet")
        XCTAssertEqual(
            machine.handle(.tick, at: 10 + ServeMachine.answerSeconds),
            [.log("no second press in 60 s; waiting again"), .showStatus, .sayWaiting])
        XCTAssertNil(machine.announced)
        XCTAssertEqual(machine.handle(.tick, at: 1000), [], "a tick while waiting does nothing")
        // The next press announces again rather than starting.
        XCTAssertEqual(announced(machine.handle(.control(.toggle), at: 1001)), "today")
    }

    func testAStartRequestBeginsAtOnceAndForgetsTheAnnouncement() {
        var machine = ServeMachine(choices: choices)
        _ = machine.handle(.control(.skip), at: 0)
        XCTAssertEqual(machine.handle(.start(plan: "/home/me/plan.json5"), at: 1), [
            .log("start requested: /home/me/plan.json5"), .start(plan: "/home/me/plan.json5"),
        ])
        XCTAssertNil(machine.announced)
        XCTAssertNil(machine.deadline)
    }
}

/// serve's start requests: one waits at most, none while a session starts or plays, and
/// nothing is kept for after a session (issue 18: a start sent while a session was being
/// prepared was answered ok, kept, and started by the next press of stop).
final class StartRequestsTests: XCTestCase {
    func testAStartIsRefusedWhileASessionStartsOrPlaysAndNothingIsKept() {
        let requests = StartRequests()
        let queue = ControlQueue(signals: { (0, 0, 0) })
        XCTAssertEqual(requests.request(nil, wake: queue), "ok")
        XCTAssertTrue(requests.request("first-time", wake: queue).hasPrefix("error: today is about to start"))
        XCTAssertEqual(requests.takePending(), "today")
        // Being prepared (a cold cache) or playing: refused with the reason.
        let refused = requests.request("core", wake: queue)
        XCTAssertTrue(refused.hasPrefix("error: a session (today) is starting or playing"), refused)
        XCTAssertNil(requests.takePending(), "nothing waits while a session is busy")
        requests.end()
        XCTAssertEqual(requests.current, .idle)
        XCTAssertNil(requests.takePending(), "nothing is left for after the session")
        // A session begun by a press refuses starts too, and one answered in the instant
        // before is dropped, not kept.
        XCTAssertEqual(requests.request("stretch", wake: queue), "ok")
        XCTAssertEqual(requests.begin("today"), "stretch")
        XCTAssertTrue(requests.request(nil, wake: queue).hasPrefix("error: a session (today)"))
        requests.end()
        XCTAssertNil(requests.takePending())
        // A plan that does not exist is refused and leaves nothing waiting.
        XCTAssertTrue(requests.request("no-such-plan", wake: queue).hasPrefix("error: no built-in program or plan file"))
        XCTAssertEqual(requests.current, .idle)
    }
}
