/// Between sessions (`serve --angle`): a table tilted past 15° with no session for longer
/// than the default cap on inverted time has someone on it, perhaps unnoticed. The closing
/// is said, with the alarm, and again every 30 s until the table is upright. Pure: the angle
/// and the time in, what to do out.
struct TableWatch {
    static let capSeconds = Double(Plan.defaultMaxInvertedMilliseconds) / 1000
    enum Action: Equatable {
        case sayClosing
        case log(String)
        /// The angle shown (rounded) or the alarm changed.
        case status
    }

    private(set) var tiltedSince: Double?
    private(set) var alarm = false
    private(set) var shown: Int?
    private var lastSaid: Double?

    mutating func observe(_ sample: AngleSample?, now: Double) -> [Action] {
        var actions: [Action] = []
        let rounded = sample.map { Int($0.degrees.rounded()) }
        if rounded != shown {
            shown = rounded
            actions.append(.status)
        }
        guard let sample, sample.degrees > AngleRules.inverted else {
            if sample.map({ $0.degrees < AngleRules.upright }) ?? false, tiltedSince != nil || alarm {
                if alarm { actions += [.log("angle: the table is upright again"), .status] }
                tiltedSince = nil
                alarm = false
                lastSaid = nil
            }
            return actions
        }
        let since = tiltedSince ?? now
        tiltedSince = since
        guard now - since > Self.capSeconds, lastSaid.map({ now - $0 >= AngleRules.alarmEverySeconds }) ?? true else { return actions }
        lastSaid = now
        if !alarm { actions.append(.status) }
        alarm = true
        return actions + [
            .log(
                String(
                    format: "ALARM: the table has been tilted (%.0f°) for %@ with no session: saying the closing", sample.degrees,
                    DurationText.short(milliseconds: Int((now - since) * 1000)))), .sayClosing,
        ]
    }

    /// A session took the table over: its own time starts from nothing.
    mutating func reset() { self = TableWatch() }
}
