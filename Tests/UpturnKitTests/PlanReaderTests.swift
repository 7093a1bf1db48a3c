import XCTest

@testable import UpturnKit

final class PlanReaderTests: XCTestCase {
    func testDurations() {
        XCTAssertEqual(DurationText.milliseconds("90"), 90_000)
        XCTAssertEqual(DurationText.milliseconds("90s"), 90_000)
        XCTAssertEqual(DurationText.milliseconds("2m"), 120_000)
        XCTAssertEqual(DurationText.milliseconds("1m30s"), 90_000)
        XCTAssertEqual(DurationText.milliseconds("1.5s"), 1500)
        XCTAssertEqual(DurationText.milliseconds("500ms"), 500)
        XCTAssertEqual(DurationText.milliseconds("1h"), 3_600_000)
        XCTAssertNil(DurationText.milliseconds("30s1m"))
        XCTAssertNil(DurationText.milliseconds("two minutes"))
        XCTAssertNil(DurationText.milliseconds("-5"))
        XCTAssertNil(DurationText.milliseconds(""))
        XCTAssertEqual(DurationText.short(milliseconds: 90_000), "1m30s")
    }

    func testReadsEveryStepKind() throws {
        let plan = try PlanReader.parse(
            """
            {
              title: "All kinds", pack: "en", preamble: true, maxInverted: "6m",
              steps: [
                {say: "Hello."},
                {cue: "hold.halfway"},
                {tilt: 30, settle: "5s"},
                {hold: 90, exercise: "Arms overhead", halfway: false, countdown: [30, 10], cues: [{at: "20s", say: "Breathe."}]},
                {reps: 8, exercise: "Sit-ups", tempo: "2-1-2", count: false},
                {tilt: 0},
                {rest: "1m"},
                {wait: "Press.", timeout: "20s", title: "Ready?"},
              ],
            }
            """, file: "p.json5")
        XCTAssertEqual(plan.title, "All kinds")
        XCTAssertTrue(plan.preamble)
        XCTAssertEqual(plan.maxInvertedMilliseconds, 360_000)
        XCTAssertEqual(plan.steps.count, 8)
        XCTAssertEqual(plan.steps[0].action, .say(text: "Hello."))
        XCTAssertEqual(plan.steps[2].action, .tilt(angle: 30, settleMilliseconds: 5000))
        XCTAssertEqual(
            plan.steps[3].action,
            .hold(.init(milliseconds: 90_000, exercise: "Arms overhead", halfway: false, countdown: [30, 10],
                        cues: [.init(atMilliseconds: 20_000, text: "Breathe.")])))
        XCTAssertEqual(plan.steps[4].action, .reps(.init(count: 8, exercise: "Sit-ups", tempoMilliseconds: [2000, 1000, 2000], counted: false)))
        XCTAssertEqual(plan.steps[6].action, .rest(milliseconds: 60_000))
        XCTAssertEqual(plan.steps[7].action, .wait(reminder: "Press.", timeoutMilliseconds: 20_000))
        XCTAssertEqual(plan.steps[7].title, "Ready?")
        XCTAssertEqual(plan.steps[3].title, "Arms overhead")
    }

    func problems(_ text: String) -> [String] {
        do {
            _ = try PlanReader.parse(text, file: "bad.json5")
            return []
        } catch {
            XCTAssertEqual(error.code, .dataError)
            return error.problems
        }
    }

    func testReportsEveryProblemAtOnceWithPlaceAndPath() {
        let found = problems(
            """
            {
              title: "Bad",
              stepz: [],
              steps: [
                {tilt: 120},
                {hold: "3 days"},
                {reps: 1000000, tempo: "fast"},
                {rest: "1m"},
                {hold: "1m", exercize: "x"},
                {say: 42},
                {cue: "hold.halfwya"},
                {jump: true},
              ],
            }
            """)
        XCTAssertTrue(found.contains("bad.json5:3:3: unknown key 'stepz' in a plan (did you mean 'steps'?)"), "\(found)")
        XCTAssertTrue(found.contains("bad.json5:5:12: steps[0].tilt: must be a whole number from 0 to 90 degrees"), "\(found)")
        XCTAssertTrue(found.contains { $0.hasPrefix("bad.json5:6:12: steps[1].hold: not a duration") }, "\(found)")
        XCTAssertTrue(found.contains("bad.json5:7:12: steps[2].reps: must be a whole number from 1 to 200 reps"), "\(found)")
        XCTAssertTrue(found.contains { $0.hasPrefix("bad.json5:7:28: steps[2].tempo: a tempo is down-hold-up") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("steps[4]: unknown key 'exercize' in a hold step (did you mean 'exercise'?)") }, "\(found)")
        XCTAssertTrue(found.contains("bad.json5:10:11: steps[5].say: expected a string, found a number"), "\(found)")
        XCTAssertTrue(found.contains { $0.contains("steps[6].cue: unknown cue key 'hold.halfwya' (did you mean 'hold.halfway'?)") }, "\(found)")
        XCTAssertTrue(found.contains { $0.contains("steps[7]: a step needs one of: say, cue, tilt, hold, reps, rest, wait") }, "\(found)")
        XCTAssertEqual(found.count, 9, "\(found)")
    }

    func testRestWhileTiltedIsAMistake() {
        let found = problems("{title: 'x', steps: [{tilt: 30}, {rest: '1m'}]}")
        XCTAssertEqual(found.count, 1)
        XCTAssertTrue(found[0].contains("steps[1].rest: a rest happens upright, but the table is at 30°"), found[0])
    }

    func testLimitsAreCheckedBeforeAnyWork() {
        XCTAssertFalse(problems("{title: 'x', steps: [{hold: '72h'}]}").isEmpty)
        XCTAssertFalse(problems("{title: 'x', maxInverted: '1h', steps: [{say: 'x'}]}").isEmpty)
        XCTAssertFalse(problems("{title: 'x', steps: [{wait: 'x', timeout: '2h'}]}").isEmpty)
        XCTAssertFalse(problems("{title: 'x', steps: [{hold: '1m', countdown: [90]}]}").isEmpty)
        XCTAssertFalse(problems("{title: 'x', steps: [{hold: '1m', cues: [{at: '2m', say: 'late'}]}]}").isEmpty)
        let many = "{title: 'x', steps: [" + String(repeating: "{say: 'x'},", count: PlanReader.maxSteps + 1) + "]}"
        XCTAssertFalse(problems(many).isEmpty)
    }

    func testWrongShapesAreProblemsNotCrashes() {
        for text in ["[]", "42", "null", "{title: 1, steps: {}}", "{steps: [1, 'a', null, []]}", "{title: 'x', steps: []}"] {
            XCTAssertFalse(problems(text).isEmpty, text)
        }
    }

    func testBuiltinProgramsAreValid() throws {
        for name in BuiltinPrograms.names {
            let plan = try XCTUnwrap(try BuiltinPrograms.plan(name), name)
            XCTAssertFalse(plan.steps.isEmpty, name)
            XCTAssertFalse(BuiltinPrograms.description(name).isEmpty, name)
        }
        XCTAssertTrue(try XCTUnwrap(BuiltinPrograms.plan("first-time")).preamble)
        XCTAssertNil(try BuiltinPrograms.plan("nope"))
    }

    func testTempo() {
        XCTAssertEqual(PlanReader.parseTempo("2-1-2"), [2000, 1000, 2000])
        XCTAssertEqual(PlanReader.parseTempo("2-10-3"), [2000, 10_000, 3000])
        XCTAssertNil(PlanReader.parseTempo("0-0-0"))
        XCTAssertNil(PlanReader.parseTempo("2-1"))
        XCTAssertNil(PlanReader.parseTempo("2-1-99"))
    }

    /// Huge numbers in durations are out of range with their place, never an `Int` that traps
    /// (they killed check, show, render, play and serve with SIGILL).
    func testHugeDurationsAreOutOfRangeNotACrash() {
        let cases = [
            "{title: 'x', steps: [{hold: \"1e300\"}]}",
            "{title: 'x', steps: [{hold: 1e300}]}",
            "{title: 'x', maxInverted: \"1e17\", steps: [{rest: 5}]}",
            "{title: 'x', steps: [{wait: true, timeout: \"1e20\"}]}",
            "{title: 'x', steps: [{hold: 60, cues: [{at: \"1e300\", say: 'hi'}]}]}",
            "{title: 'x', steps: [{rest: \"99999999999h\"}]}",
            "{title: 'x', steps: [{tilt: 20, settle: 1e308}]}",
        ]
        for text in cases {
            let found = problems(text)
            XCTAssertEqual(found.count, 1, "\(text): \(found)")
            XCTAssertTrue(found.first?.contains("must be from") == true, "\(text): \(found)")
            XCTAssertTrue(found.first?.hasPrefix("bad.json5:1:") == true, "\(text): \(found)")
        }
        XCTAssertNil(DurationText.milliseconds("1e300"))
        XCTAssertEqual(DurationText.exactMilliseconds("1e300"), 1e303)
    }

    /// A plan may not last longer than twelve hours: refused with its length.
    func testASessionLongerThanTwelveHoursIsRefused() throws {
        let rests = Array(repeating: "{rest: '30m'}", count: 25).joined(separator: ", ")
        XCTAssertThrowsError(try compile("{title: 'Long', steps: [\(rests)]}")) { error in
            let error = error as! UpturnError
            XCTAssertEqual(error.code, .dataError)
            XCTAssertTrue(error.description.contains("would last 12h3"), error.description)
            XCTAssertTrue(error.description.contains("longer than 12h"), error.description)
        }
        let fits = Array(repeating: "{rest: '30m'}", count: 23).joined(separator: ", ")
        XCTAssertNoThrow(try compile("{title: 'Long', steps: [\(fits)]}"))
    }
}
