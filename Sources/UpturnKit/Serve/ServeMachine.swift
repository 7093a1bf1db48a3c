/// What `upturn serve` does between sessions, as a pure state machine: an event and the time
/// go in, actions come out ("say this", "start this plan", "log this line"). No audio, no
/// threads, no clock of its own, so every path is unit-tested; `Service` carries the actions
/// out.
///
/// One button is enough: a press says what today holds, a second press begins it. A long
/// press (or skip) lists the other sessions, then says them one by one; a press begins the
/// one just said. An announcement not taken up in `answerSeconds` goes back to waiting.
public struct ServeMachine: Sendable {
    public enum Event: Equatable, Sendable {
        /// A control while no session plays.
        case control(ControlCommand)
        /// `upturn ctl start [PLAN]` (already checked to exist).
        case start(plan: String)
        /// Time passed (the wait for a second press may have run out).
        case tick
    }

    public enum Action: Equatable, Sendable {
        case log(String)
        /// Say one of the choices; with `listing`, first the list of the others.
        case announce(choice: String, listing: [String]?)
        /// "Waiting. Press when you want to start."
        case sayWaiting
        /// Play this plan as a session, then come back to waiting.
        case start(plan: String)
        /// What `ctl status` says changed (the choice announced).
        case showStatus
    }

    /// How long an announcement waits for its second press.
    public static let answerSeconds = 60.0

    /// The choices a long press goes through: today first, then the built-in programs.
    public let choices: [String]
    /// The choice announced and waiting for its second press.
    public private(set) var announced: String?
    private var chosen: Int?
    private var announcedAt = 0.0

    public init(choices: [String] = [Session.todayProgram] + BuiltinPrograms.names) {
        self.choices = choices
    }

    /// When the machine next needs a `.tick`: the end of the wait for a second press.
    public var deadline: Double? { chosen == nil ? nil : announcedAt + Self.answerSeconds }

    public mutating func handle(_ event: Event, at now: Double) -> [Action] {
        switch event {
        case .start(let plan):
            forget()
            return [.log("start requested: \(plan)"), .start(plan: plan)]
        case .tick:
            guard let deadline, now >= deadline else { return [] }
            forget()
            return [.log("no second press in \(Int(Self.answerSeconds)) s; waiting again"), .showStatus, .sayWaiting]
        case .control(let command):
            return press(command, at: now)
        }
    }

    private mutating func press(_ command: ControlCommand, at now: Double) -> [Action] {
        switch (chosen, command) {
        case (nil, .toggle), (nil, .pause), (nil, .resume), (nil, .back):
            return [.log("press: announcing today's session")] + announce(0, listing: false, at: now)
        case (nil, .skip), (nil, .stop), (0?, .stop):
            // From today's announcement too: the first long press says what else there is.
            return [.log("long press: listing the other sessions")] + announce(1, listing: true, at: now)
        case (let c?, .toggle), (let c?, .pause), (let c?, .resume):
            forget()
            return [.log("second press: starting \(choices[c])"), .start(plan: choices[c])]
        case (let c?, .skip), (let c?, .stop):
            return announce((c + 1) % choices.count, listing: false, at: now)
        case (let c?, .back):
            return announce((c + choices.count - 1) % choices.count, listing: false, at: now)
        }
    }

    private mutating func announce(_ index: Int, listing: Bool, at now: Double) -> [Action] {
        chosen = index
        announced = choices[index]
        announcedAt = now
        let others = listing ? Array(choices.dropFirst()) : nil
        return [.showStatus, .announce(choice: choices[index], listing: others)]
    }

    private mutating func forget() {
        chosen = nil
        announced = nil
    }
}
