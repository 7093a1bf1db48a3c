import Foundation
import XCTest

@testable import UpturnKit

final class ProgressionTests: XCTestCase {
    let day = 86_400.0
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    /// A today session on day `n` (from `start`), played at `level`, ending as given.
    func session(_ n: Double, level: Int, program: String = "stretch", _ ending: SessionRecord.Ending, done: Int = 15) -> SessionRecord {
        var record = SessionRecord(id: "\(n)", start: start.addingTimeInterval(n * day), plan: "today", title: "T", steps: 15)
        record.level = level
        record.program = program
        record.ending = ending
        record.stepsDone = done
        return record
    }

    func today(_ history: [SessionRecord], on n: Double? = nil, rules: Progression.Rules = .init()) -> Progression.Today {
        let now = start.addingTimeInterval((n ?? ((history.last.map { $0.start.timeIntervalSince(start) / day } ?? 0) + 1)) * day)
        return Progression(rules: rules).today(history: history, now: now)
    }

    func testANewHistoryStartsGentle() {
        let t = today([])
        XCTAssertEqual(t.level, 1)
        XCTAssertEqual(t.angle, 20)
        XCTAssertEqual(t.program, "stretch")
        XCTAssertNil(t.fallback)
        // Sessions of other plans do not move the level.
        var other = SessionRecord(id: "x", start: start, plan: "core", title: "Core", steps: 14)
        other.ending = .finished
        XCTAssertEqual(today([other, other, other]).level, 1)
    }

    func testTwoCompletedSessionsMoveUpOneLevel() {
        XCTAssertEqual(today([session(0, level: 1, .finished)]).level, 1)
        let two = today([session(0, level: 1, .finished), session(1, level: 1, program: "core", .finished)])
        XCTAssertEqual(two.level, 2)
        XCTAssertEqual(two.angle, 25)
        XCTAssertEqual(two.program, "stretch", "programs take turns")
        XCTAssertTrue(two.reasons.contains { $0.contains("up to level 2") }, "\(two.reasons)")
        // Killed and audio-lost sessions do not count either way.
        let interrupted = today([session(0, level: 1, .finished), session(1, level: 1, .killed), session(2, level: 1, .audioLost)])
        XCTAssertEqual(interrupted.level, 1)
        XCTAssertEqual(today([session(0, level: 1, .finished), session(1, level: 1, .killed), session(2, level: 1, .finished)]).level, 2)
    }

    /// Measured by the angle sensor: a session whose table never got near its level's angle
    /// does not move the level up; one within 3° does.
    func testAMeasuredSessionThatNeverReachedItsAngleDoesNotMoveTheLevelUp() {
        func measured(_ n: Double, highest: Int) -> SessionRecord {
            var record = session(n, level: 1, .finished)
            record.angleMeasured = true
            record.highestAngle = highest
            return record
        }
        let short = today([measured(0, highest: 12), measured(1, highest: 14)])
        XCTAssertEqual(short.level, 1)
        XCTAssertTrue(short.reasons.contains { $0.contains("the table reached only 12° of 20° (measured): stays at level 1") }, "\(short.reasons)")
        XCTAssertEqual(today([measured(0, highest: 18), measured(1, highest: 21)]).level, 2)
        // The journal keeps the flag.
        let folder = temporaryFolder()
        let journal = Journal(path: folder + "/history.jsonl")
        var record = measured(0, highest: 12)
        record.angleTrace = [10, 12]
        XCTAssertNoThrow(try journal.recordStart(record))
        XCTAssertNoThrow(try journal.recordEnd(record))
        XCTAssertEqual(journal.read().sessions.first?.angleMeasured, true)
    }

    func testStoppingEarlyLowersStoppingLateKeepsNoAnswerLowers() {
        let base = [session(0, level: 4, .finished)]
        XCTAssertEqual(today(base + [session(1, level: 4, .stopped, done: 3)]).level, 3)
        XCTAssertEqual(today(base + [session(1, level: 4, .stopped, done: 12)]).level, 4)
        XCTAssertEqual(today(base + [session(1, level: 4, .noAnswer, done: 12)]).level, 3)
        // A stop breaks the run of completed sessions: one more completion is not enough.
        XCTAssertEqual(today(base + [session(1, level: 4, .stopped, done: 12), session(2, level: 4, .finished)]).level, 4)
        // Never below level 1.
        XCTAssertEqual(today([session(0, level: 1, .stopped, done: 0)]).level, 1)
        // A stopped program is offered again.
        XCTAssertEqual(today([session(0, level: 1, program: "core", .stopped, done: 2)]).program, "stretch")
        XCTAssertEqual(today([session(0, level: 1, program: "stretch", .finished)]).program, "core")
    }

    func testALongBreakLowersTheLevel() {
        let history = [session(0, level: 5, .finished), session(1, level: 5, .finished)]
        XCTAssertEqual(today(history, on: 3).level, 6)
        XCTAssertEqual(today(history, on: 16).level, 5, "two weeks off: one level down")
        XCTAssertEqual(today(history, on: 31).level, 4, "four weeks off: two levels down")
        XCTAssertEqual(today(history, on: 400).level, 1)
        XCTAssertTrue(today(history, on: 16).reasons.last { $0.contains("days since the last session") } != nil)
    }

    func testAnglesStopAtTheCeilingThenHoldsGrow() throws {
        var rules = Progression.Rules()
        rules.ceiling = 40
        XCTAssertEqual(rules.angleLevels, 5)
        XCTAssertEqual(rules.maxLevel, 8)
        XCTAssertEqual((1...8).map { rules.angle(level: $0) }, [20, 25, 30, 35, 40, 40, 40, 40])
        XCTAssertEqual((1...8).map { rules.extraHoldSeconds(level: $0) }, [0, 0, 0, 0, 0, 30, 60, 90])
        // At the top, completed sessions keep the level.
        let top = today([session(0, level: 8, .finished), session(1, level: 8, .finished)], rules: rules)
        XCTAssertEqual(top.level, 8)
        // A level from before the ceiling was lowered counts as the top one.
        let lowered = today([session(0, level: 11, .finished)], rules: rules)
        XCTAssertNil(lowered.fallback)
        XCTAssertEqual(lowered.level, 8)

        let progression = Progression(rules: rules)
        let stretch = try progression.plan(for: Progression.Today(level: 7, program: "stretch", angle: 40, extraHoldSeconds: 60, reasons: [], fallback: nil))
        XCTAssertEqual(stretch.title, "Stretch, level 7")
        for step in stretch.steps {
            if case .tilt(let angle, _) = step.action { XCTAssertTrue(angle == 0 || angle == 40) }
            if case .hold(let hold) = step.action { XCTAssertEqual(hold.milliseconds, 180_000) }
        }
        let core = try progression.plan(for: Progression.Today(level: 7, program: "core", angle: 40, extraHoldSeconds: 60, reasons: [], fallback: nil))
        let counts = core.steps.compactMap { step -> Int? in if case .reps(let r) = step.action { return r.count }; return nil }
        XCTAssertEqual(counts, [10, 7, 8], "two more reps per set at 60 s more")
    }

    func testEveryLevelOfEveryProgramKeepsToTheInvertedCap() throws {
        for ceiling in [40, 60, 90] {
            var rules = Progression.Rules()
            rules.ceiling = ceiling
            rules.programs = ["stretch", "core", "full"]
            let progression = Progression(rules: rules)
            let pack = try PackReader.builtinDefault()
            for level in 1...rules.maxLevel {
                for program in rules.programs {
                    for checkIns in [false, true] {
                        func compiled(_ plan: Plan) throws -> Timeline {
                            try TimelineCompiler(plan: plan, pack: pack, rate: 48_000, measure: EstimatedClipLengths(rate: 48_000), checkIns: checkIns)
                                .compile(file: "today")
                        }
                        var today = Progression.Today(
                            level: level, program: program, angle: rules.angle(level: level),
                            extraHoldSeconds: rules.extraHoldSeconds(level: level), reasons: [], fallback: nil)
                        let plan = try progression.plan(for: &today) { (try? compiled($0)) != nil }
                        XCTAssertNoThrow(try compiled(plan), "\(program) level \(level) ceiling \(ceiling)")
                        // Stretch has one hold per inverted stretch: it always gets the whole extra time.
                        if program == "stretch" { XCTAssertEqual(today.extraHoldSeconds, rules.extraHoldSeconds(level: level)) }
                        if program == "full" && level == rules.maxLevel {
                            XCTAssertLessThan(today.extraHoldSeconds, rules.extraHoldSeconds(level: level))
                            XCTAssertTrue(today.reasons.last?.contains("cap") == true)
                        }
                    }
                }
            }
        }
    }

    func testAnUnknownLevelOrBrokenSettingsFallBackToFirstTimeWithASpokenNote() throws {
        for bad in [0, 99, -3] {
            let t = today([session(0, level: 2, .finished), session(1, level: bad, .finished)])
            XCTAssertNotNil(t.fallback)
            XCTAssertEqual(t.program, "first-time")
            let plan = try Progression().plan(for: t)
            XCTAssertEqual(plan.title, "First time")
            XCTAssertEqual(plan.steps.first?.action, .cue(.todayFallback))
        }
        let journal = Journal(path: temporaryFolder() + "/history.jsonl")
        let (plan, t) = try Session.todayPlan(journal: journal, settings: { () throws(UpturnError) in throw UpturnError.data("s.json5:1:1: broken") })
        XCTAssertEqual(t.fallback, "the settings could not be read (s.json5:1:1: broken)")
        XCTAssertEqual(plan.steps.first?.action, .cue(.todayFallback))
    }

    func testTheJournalKeepsLevelAndProgramAndReadsAnOddLevelAsNoLevel() throws {
        let path = temporaryFolder() + "/history.jsonl"
        let journal = Journal(path: path)
        var record = SessionRecord(id: "a", start: start, plan: "today", title: "Core, level 3", steps: 14)
        record.level = 3
        record.program = "core"
        try journal.recordStart(record)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("{\"v\": 1, \"event\": \"start\", \"id\": \"b\", \"start\": \"2026-11-01T07:00:00Z\", \"plan\": \"today\", \"level\": \"three\"}\n".utf8))
        try handle.close()
        let sessions = journal.read().sessions
        XCTAssertEqual(sessions.map(\.level), [3, 0])
        XCTAssertEqual(sessions[0].program, "core")
        XCTAssertNotNil(Progression().today(history: sessions).fallback)
    }

    func testSettingsAreCheckedWithPlaces() throws {
        let folder = temporaryFolder()
        let good = folder + "/good.json5"
        try "{alone: true, ceiling: 45, programs: ['core', 'full']}".write(toFile: good, atomically: true, encoding: .utf8)
        let settings = try Settings.read(file: good)
        XCTAssertTrue(settings.alone)
        XCTAssertEqual(settings.rules.ceiling, 45)
        XCTAssertEqual(settings.rules.programs, ["core", "full"])
        XCTAssertEqual(try Settings.read(file: folder + "/none.json5"), Settings())

        let bad = folder + "/bad.json5"
        try "{alone: 'yes',\n ceiling: 120,\n programs: ['strech'], colour: 1}".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Settings.read(file: bad)) { error in
            let problems = (error as! UpturnError).problems
            XCTAssertEqual(problems.count, 4, "\(problems)")
            XCTAssertTrue(problems.contains { $0.hasPrefix("\(bad):1:9: alone: expected true or false") }, "\(problems)")
            XCTAssertTrue(problems.contains { $0.hasPrefix("\(bad):2:11: ceiling:") }, "\(problems)")
            XCTAssertTrue(problems.contains { $0.contains("programs[0]") && $0.contains("did you mean 'stretch'") }, "\(problems)")
        }
    }
}
