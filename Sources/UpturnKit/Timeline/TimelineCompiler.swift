/// Lays a plan out on a frame-exact timeline, with the words and sounds of a cue pack.
///
/// Pure: the same plan, pack, rate and clip lengths give the same timeline. Speech never
/// overlaps speech: a cue that would start while another is speaking waits for it, plus a gap.
public struct TimelineCompiler {
    public struct Timing: Sendable {
        /// Silence before the first cue (a new stream's first milliseconds may be lost). A
        /// player writes it while the session is still being made (`PlaybackSession.Preroll`).
        public var leadInMilliseconds = 300
        /// Silence between two spoken cues.
        public var gapMilliseconds = 350
        /// Silence after the last cue.
        public var tailMilliseconds = 800
        /// "And release" follows the bell by this much.
        public var afterBellMilliseconds = 400
        public init() {}
    }

    public let plan: Plan
    public let pack: CuePack
    public let rate: Int
    public let timing: Timing
    /// For people alone: every inverted hold longer than a minute asks "Still comfortable?
    /// Press to continue." (`checkInKey`), 30 s in and then every two minutes; the player
    /// goes to the closing when nobody answers.
    public let checkIns: Bool
    private let measure: any ClipMeasuring

    public static let checkInKey = CueKey.safetyCheckIn.key
    /// Check-ins start this far into a hold, and come again this often.
    static let checkInFirstMilliseconds = 30_000
    static let checkInEveryMilliseconds = 120_000

    public init(
        plan: Plan, pack: CuePack, rate: Int, measure: any ClipMeasuring, timing: Timing = Timing(), checkIns: Bool = false
    ) {
        self.plan = plan
        self.pack = pack
        self.rate = rate
        self.measure = measure
        self.timing = timing
        self.checkIns = checkIns
    }

    /// Compiles the whole session, and checks the cap on continuous inverted time.
    public func compile(file: String = "plan") throws(UpturnError) -> Timeline {
        // The welcome says how long the session takes: lay it out once without it to know.
        var draft = Layout(compiler: self)
        try draft.run(minutes: nil)
        let minutes = Timeline.spokenMinutes(frames: draft.frames, rate: rate)
        var layout = Layout(compiler: self)
        try layout.run(minutes: minutes)
        let timeline = try layout.timeline()
        guard timeline.frames <= frames(milliseconds: Plan.maxSessionMilliseconds) else {
            let hours = DurationText.short(milliseconds: timeline.frames / rate * 1000)
            throw UpturnError.data(
                "\(file): the session would last \(hours), longer than \(DurationText.short(milliseconds: Plan.maxSessionMilliseconds)); make it shorter")
        }
        try checkInvertedCap(timeline, file: file)
        return timeline
    }

    /// A transport cue on its own ("Paused"), to play between blocks of the session.
    public func interjection(_ key: CueKey, values: [String: String] = [:]) throws(UpturnError) -> Interjection {
        let (text, clip) = try resolve(key: key, values: ["title": plan.title].merging(values) { _, new in new })
        let length = try measure.frames(of: clip)
        let lead = frames(milliseconds: 20)
        let event = TimelineEvent(
            frame: lead, kind: .speech, key: key.key, text: text, step: 0, clip: clip, length: length, angle: 0, inverted: false)
        return Interjection(events: [event], frames: lead + length + frames(milliseconds: 250))
    }

    func frames(milliseconds ms: Int) -> Int {
        Self.frames(milliseconds: ms, rate: rate)
    }

    /// Milliseconds as frames at `rate`, rounded: the one conversion timelines use.
    public static func frames(milliseconds ms: Int, rate: Int) -> Int {
        Int((Int64(ms) * Int64(rate) + 500) / 1000)
    }

    /// The words and audio of a cue key, with its variables filled in.
    func resolve(key: CueKey, values: [String: String]) throws(UpturnError) -> (text: String, clip: ClipSource) {
        guard let source = pack.cues[key.key] else {
            throw UpturnError.data("\(pack.origin): the pack has no cue '\(key)'")
        }
        switch source {
        case .text(let template):
            let text = Template.fill(template, values)
            return (text, .speech(text: text, voice: pack.voice))
        case .recording(let ref, let text):
            return (text ?? key.key, .recording(ref, volume: pack.voice.volume))
        }
    }

    /// Continuous inverted time, from the first tilted step to the end of the step that brings
    /// the table back to 0, may not exceed the plan's cap.
    func checkInvertedCap(_ timeline: Timeline, file: String) throws(UpturnError) {
        var problems: [String] = []
        var runStart: StepSpan?
        for span in timeline.steps {
            if span.inverted {
                if runStart == nil { runStart = span }
                continue
            }
            guard let first = runStart else { continue }
            // A return-upright step counts in full: the user is still tilted while it plays.
            let end = span.kind == .tilt ? span.end : span.start
            problems += capProblem(first: first, last: span, end: end, timeline: timeline, file: file)
            runStart = nil
        }
        if let first = runStart, let last = timeline.steps.last {
            problems += capProblem(first: first, last: last, end: timeline.frames, timeline: timeline, file: file)
        }
        if !problems.isEmpty { throw UpturnError(.dataError, problems: problems) }
    }

    private func capProblem(first: StepSpan, last: StepSpan, end: Int, timeline: Timeline, file: String) -> [String] {
        let cap = frames(milliseconds: plan.maxInvertedMilliseconds)
        let length = end - first.start
        guard length > cap else { return [] }
        let seconds = Int((Double(length) / Double(rate)).rounded())
        let lastIndex = min(last.index, plan.steps.count)
        let stretch = first.start..<end
        return [
            "\(file): steps[\(first.index - 1)]...steps[\(lastIndex - 1)]: inverted for \(DurationText.short(milliseconds: seconds * 1000)) without returning upright, over the cap of \(DurationText.short(milliseconds: plan.maxInvertedMilliseconds)); add {tilt: 0} and a rest, or raise maxInverted (at most \(DurationText.short(milliseconds: Plan.hardMaxInvertedMilliseconds)))"
                + longRecording(in: stretch, of: timeline)
        ]
    }

    /// When a long recording makes a stretch too long, the message names it: the file is
    /// what to change, not the plan.
    private func longRecording(in stretch: Range<Int>, of timeline: Timeline) -> String {
        let long = timeline.events.filter { event in
            guard stretch.contains(event.frame), event.length > rate * 60 else { return false }
            switch event.clip {
            case .recording(.file, _)?, .audio(.file)?: return true
            default: return false
            }
        }.max { $0.length < $1.length }
        let name: String
        switch long?.clip {
        case .recording(let file, _)?: name = file.description
        case .audio(let file)?: name = file.description
        default: return ""
        }
        guard let long else { return "" }
        return "; the recording \(name) alone lasts \(DurationText.short(milliseconds: long.length / rate * 1000))"
    }
}

/// The mutable state of one layout pass.
private struct Layout {
    let compiler: TimelineCompiler
    var events: [TimelineEvent] = []
    var spans: [StepSpan] = []
    /// The earliest frame the next speech may start at.
    var speechFree = 0
    /// The end of the content laid out so far.
    var cursor = 0
    var angle = 0
    var stepIndex = 0

    init(compiler: TimelineCompiler) {
        self.compiler = compiler
    }

    var frames: Int { max(cursor, speechFree) + compiler.frames(milliseconds: compiler.timing.tailMilliseconds) }

    func ms(_ milliseconds: Int) -> Int { compiler.frames(milliseconds: milliseconds) }

    var gap: Int { ms(compiler.timing.gapMilliseconds) }

    var commonValues: [String: String] {
        let steps = compiler.plan.steps
        var values = ["title": compiler.plan.title, "steps": "\(steps.count)", "step": "\(stepIndex)"]
        if stepIndex < steps.count { values["next"] = steps[stepIndex].title }
        return values
    }

    /// Speaks a cue key at `frame` or as soon after as no other speech is playing.
    @discardableResult
    mutating func speak(_ key: CueKey, _ values: [String: String] = [:], at frame: Int) throws(UpturnError) -> Range<Int> {
        let (text, clip) = try compiler.resolve(key: key, values: commonValues.merging(values) { _, new in new })
        return try place(.speech, key: key.key, text: text, clip: clip, at: frame)
    }

    /// Speaks literal plan text in the pack's voice.
    @discardableResult
    mutating func say(_ text: String, at frame: Int) throws(UpturnError) -> Range<Int> {
        try place(.speech, key: "say", text: text, clip: .speech(text: text, voice: compiler.pack.voice), at: frame)
    }

    /// Plays a named sound at exactly `frame`; sounds may lie under speech.
    mutating func sound(_ sound: SoundKey, at frame: Int) throws(UpturnError) {
        let name = sound.rawValue
        guard let ref = compiler.pack.sounds[name] else {
            throw UpturnError.data("\(compiler.pack.origin): the pack has no sound '\(name)'")
        }
        let clip = ClipSource.audio(ref)
        let length = try compiler.measure_(clip)
        events.append(
            TimelineEvent(
                frame: frame, kind: .sound, key: name, text: nil, step: stepIndex, clip: clip, length: length, angle: angle,
                inverted: angle > 0))
        cursor = max(cursor, frame + length)
    }

    private mutating func place(
        _ kind: TimelineEvent.Kind, key: String, text: String, clip: ClipSource, at frame: Int
    ) throws(UpturnError) -> Range<Int> {
        let length = try compiler.measure_(clip)
        let start = max(frame, speechFree)
        events.append(
            TimelineEvent(
                frame: start, kind: kind, key: key, text: text, step: stepIndex, clip: clip, length: length, angle: angle,
                inverted: angle > 0))
        speechFree = start + length + gap
        cursor = max(cursor, start + length)
        return start..<(start + length)
    }

    /// Opens a step: its boundary event comes when the previous step's words have ended.
    mutating func beginStep(_ index: Int, title: String, kind: StepKind, angle stepAngle: Int) -> Int {
        stepIndex = index
        let start = max(cursor, speechFree)
        if var last = spans.popLast() {
            last.end = start
            spans.append(last)
        }
        spans.append(
            StepSpan(index: index, title: title, kind: kind, start: start, end: start, angle: stepAngle, inverted: stepAngle > 0))
        events.append(
            TimelineEvent(
                frame: start, kind: .step, key: "step.\(kind.rawValue)", text: title, step: index, clip: nil, length: 0,
                angle: stepAngle, inverted: stepAngle > 0))
        cursor = start
        return start
    }

    mutating func run(minutes: Int?) throws(UpturnError) {
        let plan = compiler.plan
        var t = beginStep(0, title: "Welcome", kind: .welcome, angle: 0)
        t += ms(compiler.timing.leadInMilliseconds)
        speechFree = t
        if let minutes {
            // {duration}: "1 minute", "12 minutes", in the pack's words ({minutes} is the number).
            let duration = compiler.pack.spokenDuration(milliseconds: minutes * 60_000)
            try speak(.sessionWelcome, ["minutes": "\(minutes)", "duration": duration], at: t)
        } else {
            // The draft pass: the welcome's length is not known yet; leave it out.
            cursor = t
        }
        if plan.preamble { try speak(.sessionSafety, at: t) }

        for (i, step) in plan.steps.enumerated() {
            let stepAngle: Int
            if case .tilt(let target, _) = step.action { stepAngle = target } else { stepAngle = angle }
            let start = beginStep(i + 1, title: step.title, kind: step.action.kind, angle: stepAngle)
            try lay(step, from: start)
        }

        let finish = beginStep(plan.steps.count + 1, title: "Finish", kind: .finish, angle: 0)
        if angle > 0 {
            // The engine, not the plan, makes sure every session ends upright.
            angle = 0
            let upright = try speak(.sessionUpright, at: finish)
            cursor = upright.upperBound + ms(PlanReader.defaultUprightSettleMilliseconds)
        }
        try speak(.sessionEnd, at: max(cursor, speechFree))
    }

    mutating func lay(_ step: Step, from start: Int) throws(UpturnError) {
        switch step.action {
        case .say(let text):
            try say(text, at: start)
        case .cue(let key):
            try speak(key, at: start)
        case .tilt(let target, let settle):
            let words = try speak(target > 0 ? .tiltBack : .tiltUpright, ["angle": "\(target)"], at: start)
            angle = target
            cursor = words.upperBound + ms(settle)
        case .hold(let hold):
            try layHold(hold, from: start)
        case .reps(let reps):
            try layReps(reps, from: start)
        case .rest(let length):
            let values = durationValues(length)
            _ = try speak(.restStart, values, at: start)
            cursor = max(cursor, start + ms(length))
        case .wait(let reminder, let timeout):
            if let reminder { try say(reminder, at: start) } else { try speak(.waitReminder, at: start) }
            cursor = max(cursor, start + ms(timeout))
        }
    }

    func durationValues(_ length: Int) -> [String: String] {
        [
            "duration": compiler.pack.spokenDuration(milliseconds: length),
            "seconds": "\((length + 500) / 1000)",
            "minutes": "\((length + 30_000) / 60_000)",
        ]
    }

    mutating func layHold(_ hold: Step.Hold, from start: Int) throws(UpturnError) {
        var values = durationValues(hold.milliseconds)
        let intro: Range<Int>
        if let exercise = hold.exercise {
            values["exercise"] = exercise
            intro = try speak(.holdExercise, values, at: start)
        } else {
            intro = try speak(.holdStart, values, at: start)
        }
        // The hold's clock starts when the instruction has been said.
        let holdStart = intro.upperBound
        let holdEnd = holdStart + ms(hold.milliseconds)
        enum Inner { case halfway, left(Int), text(String), checkIn }
        var inner: [(frame: Int, order: Int, cue: Inner)] = []
        if compiler.checkIns && angle > 0 && hold.milliseconds > 60_000 {
            var at = TimelineCompiler.checkInFirstMilliseconds
            // Each check-in leaves the answer time (20 s) and a little more inside the hold.
            while at + 30_000 <= hold.milliseconds {
                inner.append((holdStart + ms(at), 0, .checkIn))
                at += TimelineCompiler.checkInEveryMilliseconds
            }
        }
        if hold.halfway && hold.milliseconds >= 20_000 {
            inner.append((holdStart + ms(hold.milliseconds / 2), 1, .halfway))
        }
        for seconds in hold.countdown {
            inner.append((holdEnd - ms(seconds * 1000), 2, .left(seconds)))
        }
        for (n, cue) in hold.cues.enumerated() {
            inner.append((holdStart + ms(cue.atMilliseconds), 3 + n, .text(cue.text)))
        }
        inner.sort { ($0.frame, $0.order) < ($1.frame, $1.order) }
        for item in inner {
            switch item.cue {
            case .halfway: try speak(.holdHalfway, at: item.frame)
            case .left(let seconds): try speak(.holdLeft, ["seconds": "\(seconds)"], at: item.frame)
            case .text(let text): try say(text, at: item.frame)
            case .checkIn: try speak(.safetyCheckIn, at: item.frame)
            }
        }
        // Countdown beeps over the last three seconds, when the pack has them.
        if compiler.pack.sounds[SoundKey.beep.rawValue] != nil {
            for seconds in [3, 2, 1] where seconds * 1000 * 2 <= hold.milliseconds {
                try sound(.beep, at: holdEnd - ms(seconds * 1000))
            }
        }
        try sound(.bell, at: holdEnd)
        try speak(.holdEnd, at: holdEnd + ms(compiler.timing.afterBellMilliseconds))
    }

    mutating func layReps(_ reps: Step.Reps, from start: Int) throws(UpturnError) {
        var values = ["count": "\(reps.count)"]
        let intro: Range<Int>
        if let exercise = reps.exercise {
            values["exercise"] = exercise
            intro = try speak(.repsExercise, values, at: start)
        } else {
            intro = try speak(.repsStart, values, at: start)
        }
        let phases = reps.tempoMilliseconds.map { ms($0) }
        let tempo = phases.reduce(0, +)
        var repStart = intro.upperBound + gap
        for n in 1...reps.count {
            var period = tempo
            if reps.counted {
                let words = try speak(.repsCount, ["n": "\(n)", "count": "\(reps.count)"], at: repStart)
                repStart = words.lowerBound
                // A count longer than a fast tempo stretches the rep rather than overlapping.
                period = max(tempo, words.count + gap)
            } else {
                try sound(.tick, at: repStart)
            }
            if phases[1] > 0 { try sound(.tick, at: repStart + phases[0]) }
            if phases[2] > 0 { try sound(.tick, at: repStart + phases[0] + phases[1]) }
            repStart += period
        }
        cursor = max(cursor, repStart)
        try speak(.repsDone, values, at: repStart)
    }

    mutating func timeline() throws(UpturnError) -> Timeline {
        let total = frames
        if var last = spans.popLast() {
            last.end = total
            spans.append(last)
        }
        // Stable sort: at equal frames, step events first, then cues in the order laid.
        let ordered = events.enumerated().sorted { a, b in
            if a.element.frame != b.element.frame { return a.element.frame < b.element.frame }
            let ak = a.element.kind == .step ? 0 : 1
            let bk = b.element.kind == .step ? 0 : 1
            return ak != bk ? ak < bk : a.offset < b.offset
        }.map(\.element)

        // The closing segment, played when a session is stopped while inverted.
        var closing = Layout(compiler: compiler)
        closing.stepIndex = compiler.plan.steps.count + 1
        let settle = ms(20)
        let upright = try closing.speak(.sessionUpright, at: settle)
        try closing.speak(.sessionEnd, at: upright.upperBound + ms(2000))
        return Timeline(
            rate: compiler.rate, frames: total, events: ordered, steps: spans, closing: closing.events,
            closingFrames: closing.frames)
    }
}

extension TimelineCompiler {
    fileprivate func measure_(_ clip: ClipSource) throws(UpturnError) -> Int {
        try measure.frames(of: clip)
    }
}
