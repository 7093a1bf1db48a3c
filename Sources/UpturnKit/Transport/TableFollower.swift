/// A session that follows the table (`--angle`): pure, like `TransportMachine`: the frame
/// being heard, the measured angle and the time in; what the player must do out. Tested
/// without audio, threads or a sensor.
///
/// - A tilt step waits, once its words are said, until the table is within 3° of its angle
///   for a second ("Thirty degrees. Good."), then goes straight on to the next step, so the
///   hold's clock starts on arrival. A table that is not there when the step's settle time
///   is over holds the session there; 20 s later it goes on ("Stop at about thirty degrees").
/// - 10° or more past the plan's angle: "Come up a little", at most every 15 s.
/// - The return (a tilt to 0 after an inverted step) waits until the table is upright (under
///   10°): "You're upright". Still tilted 30 s after its words: they are said again and the
///   alarm is raised, every 30 s, until it is upright or a person stops the session. The
///   closing ("Slowly return upright", after a stop) does the same when it has been said.
/// - A sensor lost is said once ("I will keep time"), and the session goes on by the plan;
///   found again, it is followed again.
struct TableFollower {
    enum Cue: Hashable {
        case reached(Int), notReached(Int), tooFar, upright, lost
    }

    enum Action: Equatable {
        case say(Cue)
        /// The main timeline goes on from this frame (the rest of a tilt's settle time skipped,
        /// or a return's words said again).
        case seek(Int)
        /// The closing's words again (the alarm, after a stop).
        case closingAgain
        /// A step the table has made short is done (for the history).
        case completed(StepSpan)
        /// The session ends (the closing has been followed to upright).
        case end
        case log(String)
        case status
    }

    let timeline: Timeline
    /// The main timeline waits at `barrier` for the table.
    private(set) var holding = false
    /// The frame the main timeline must not pass now: the end of a tilt or a return that is
    /// being followed (nil: none, or no reading to follow).
    private(set) var barrier: Int?
    /// Still tilted long after being asked to come up: the status shows it.
    private(set) var alarm = false
    /// The closing has been said and the table is not upright yet.
    private(set) var closingWait = false
    /// The highest angle held for 5 s, and the angle each second (for the history).
    private(set) var highestHeld: Double?
    private(set) var trace: [Double] = []

    private var following: Int?
    private var wordsEnd = 0
    private var deadline: Double?
    private var arrivedSince: Double?
    private var done: Set<Int> = []
    private var lastTooFar = -Double.infinity
    private var askedUprightAt: Double?
    private var uprightSaid = false
    private var hadReading = false
    private var lostSaid = false
    private var recent: [(time: Double, degrees: Double)] = []
    private var lastTrace = -Double.infinity

    init(timeline: Timeline) {
        self.timeline = timeline
    }

    /// Every block and every wait: `heard` the main timeline's frame being heard, `written`
    /// the frame it has been rendered up to, `interjecting` while something is said over it.
    mutating func tick(heard: Int, written: Int? = nil, angle: AngleSample?, now: Double, interjecting: Bool) -> [Action] {
        let written = written ?? heard
        guard let angle else {
            barrier = nil
            guard hadReading, !lostSaid else { return [] }
            lostSaid = true
            holding = false
            return [.log("the angle sensor is lost: the session goes on by the plan"), .say(.lost), .status]
        }
        var actions: [Action] = []
        if lostSaid {
            lostSaid = false
            actions.append(.log("the angle sensor is back: following the table again"))
        }
        hadReading = true
        record(angle.degrees, at: now)
        if closingWait { return actions + followClosing(angle.degrees, now: now, interjecting: interjecting) }
        // Held at a step's end, the step is still the one followed.
        guard let span = timeline.step(at: barrier.map { min(heard, $0 - 1) } ?? heard) else { return actions }
        if span.index != following {
            following = span.index
            arrivedSince = nil
            askedUprightAt = nil
            uprightSaid = false
            wordsEnd = timeline.events.first { $0.kind == .speech && $0.frame >= span.start && $0.frame < span.end }?.end ?? span.start
            deadline = nil
        }
        if span.kind == .tilt && span.angle > 0 && !done.contains(span.index) {
            barrier = span.end
            actions += followTilt(span, angle.degrees, heard: heard, written: written, now: now)
        } else if isReturn(span) && !done.contains(span.index) {
            barrier = span.end
            actions += followReturn(span, angle.degrees, heard: heard, written: written, now: now, interjecting: interjecting)
        } else {
            barrier = nil
        }
        // Past the plan's angle (while the plan has the person tilted).
        if span.angle > 0, timeline.isTilted(at: heard), angle.degrees >= Double(span.angle) + AngleRules.overshoot, !interjecting,
            now - lastTooFar >= AngleRules.overshootEverySeconds
        {
            lastTooFar = now
            actions += [.log(String(format: "the table is at %.0f°, past the plan's %d°", angle.degrees, span.angle)), .say(.tooFar)]
        }
        return actions
    }

    private func isReturn(_ span: StepSpan) -> Bool {
        guard span.kind == .tilt, span.angle == 0, let i = timeline.steps.firstIndex(of: span), i > 0 else { return false }
        return timeline.steps[i - 1].inverted
    }

    private mutating func followTilt(_ span: StepSpan, _ degrees: Double, heard: Int, written: Int, now: Double) -> [Action] {
        guard heard >= wordsEnd else { return [] }
        if deadline == nil {
            deadline = now + Double(max(0, span.end - heard)) / Double(timeline.rate) + AngleRules.tiltGraceSeconds
        }
        if abs(degrees - Double(span.angle)) <= AngleRules.reachedWithin {
            let since = arrivedSince ?? now
            arrivedSince = since
            if now - since >= AngleRules.reachedSeconds {
                return finish(span, heard: heard, saying: .reached(span.angle), log: String(format: "the table reached %d° (%.1f°)", span.angle, degrees))
            }
        } else {
            arrivedSince = nil
        }
        if let deadline, now >= deadline {
            return finish(span, heard: heard, saying: .notReached(span.angle), log: String(format: "the table did not reach %d° (it is at %.0f°); going on", span.angle, degrees))
        }
        if written >= span.end && !holding {
            holding = true
            return [.log(String(format: "waiting for the table to reach %d° (it is at %.0f°)", span.angle, degrees)), .status]
        }
        return []
    }

    private mutating func followReturn(_ span: StepSpan, _ degrees: Double, heard: Int, written: Int, now: Double, interjecting: Bool) -> [Action] {
        guard heard >= wordsEnd else { return [] }
        let asked = askedUprightAt ?? now
        askedUprightAt = asked
        if degrees < AngleRules.upright {
            alarm = false
            return finish(span, heard: heard, saying: .upright, log: String(format: "the table is upright (%.0f°)", degrees))
        }
        var actions: [Action] = []
        if written >= span.end && !holding {
            holding = true
            actions += [.log(String(format: "waiting for the table to come upright (it is at %.0f°)", degrees)), .status]
        }
        if now - asked >= AngleRules.alarmEverySeconds && !interjecting {
            alarm = true
            askedUprightAt = now + Double(wordsEnd - span.start) / Double(timeline.rate)
            holding = false
            actions += [
                .log(String(format: "ALARM: still tilted (%.0f°) after being asked to come upright", degrees)), .seek(span.start), .status,
            ]
        }
        return actions
    }

    /// A tilt or a return is over: its cue, the rest of its step skipped, the session on.
    private mutating func finish(_ span: StepSpan, heard: Int, saying cue: Cue, log: String) -> [Action] {
        done.insert(span.index)
        holding = false
        barrier = nil
        var actions: [Action] = [.log(log), .completed(span), .say(cue), .status]
        if heard < span.end { actions.insert(.seek(span.end), at: 1) }
        return actions
    }

    /// The transport jumped (a skip or a back): a skip past the step being waited for ends
    /// the wait (the person chose to go on); a back to it or before follows it again.
    mutating func jumped(to frame: Int) {
        holding = false
        barrier = nil
        if let index = following, let span = timeline.steps.first(where: { $0.index == index }), frame >= span.end {
            done.insert(index)
        }
        for span in timeline.steps where span.end > frame { done.remove(span.index) }
        following = nil
    }

    // MARK: The closing

    /// The closing's words have been said: the session ends when the table is upright (or
    /// there is no reading); else it waits, and says them again with the alarm every 30 s.
    mutating func closingEnded(angle: AngleSample?, now: Double) -> [Action] {
        guard let angle, !lostSaid else { return [.end] }
        if angle.degrees < AngleRules.upright {
            alarm = false
            return [.log(String(format: "the table is upright (%.0f°)", angle.degrees)), .say(.upright), .end]
        }
        if !closingWait {
            closingWait = true
            askedUprightAt = now
        }
        return [.log(String(format: "waiting for the table to come upright after the closing (it is at %.0f°)", angle.degrees)), .status]
    }

    private mutating func followClosing(_ degrees: Double, now: Double, interjecting: Bool) -> [Action] {
        if degrees < AngleRules.upright {
            closingWait = false
            alarm = false
            return [.log(String(format: "the table is upright (%.0f°)", degrees)), .say(.upright), .end, .status]
        }
        guard let asked = askedUprightAt, now - asked >= AngleRules.alarmEverySeconds, !interjecting else { return [] }
        alarm = true
        closingWait = false
        askedUprightAt = nil
        return [.log(String(format: "ALARM: still tilted (%.0f°) 30 s after the closing; saying it again", degrees)), .closingAgain, .status]
    }

    // MARK: For the history

    private mutating func record(_ degrees: Double, at now: Double) {
        recent.append((now, degrees))
        recent.removeAll { now - $0.time > AngleRules.highestHeldSeconds }
        if let first = recent.first, now - first.time >= AngleRules.highestHeldSeconds - 0.1 {
            let held = recent.map(\.degrees).min()!
            highestHeld = max(highestHeld ?? held, held)
        }
        if now - lastTrace >= 1 {
            lastTrace = now
            trace.append((degrees * 10).rounded() / 10)
        }
    }
}
