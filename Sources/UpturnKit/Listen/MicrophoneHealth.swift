import Foundation

/// Watches what a microphone gives, one second at a time, and says in one line when it is
/// something the recognizer cannot use: digital silence (muted, or the wrong device), a
/// signal that never moves (a dead input), clipping (the gain too high), a DC offset. Each
/// is said once when it begins, and once more when it is over; the session goes on with
/// its other controls either way. The samples are the microphone's, before any processing.
///
/// A problem that comes back within a minute of its end is not said again (nor its end):
/// a source that gives digital silence whenever the room is quiet (a sound server's monitor,
/// a microphone with a noise gate) said "gives only digital silence" and "gives sound again"
/// at every pause of the player, two lines each time, all session long.
public struct MicrophoneHealth: Sendable {
    public enum Problem: String, Sendable, CaseIterable {
        case silent, stuck, clipping, offset
    }

    /// 16 kHz samples a second.
    static let window = SpeechRecognizer.rate
    /// Seconds a dead input must last before it is said (a device's first moments may be 0).
    static let deadSeconds = 3
    private var count = 0
    private var sum = 0.0
    private var clipped = 0
    private var zeros = 0
    private var first: Int16?
    private var allSame = true
    private var deadFor: [Problem: Int] = [:]
    public private(set) var current: Set<Problem> = []
    /// The problems now current whose beginning was said (their end is said too).
    private var said: Set<Problem> = []
    /// Seconds since each problem last ended.
    private var sinceEnded: [Problem: Int] = [:]
    /// A problem that comes back within this many seconds of its end is not said again.
    static let sayAgainAfter = 60
    private var lines: [String] = []

    public init() {}

    public mutating func feed(_ samples: UnsafeBufferPointer<Int16>) {
        for sample in samples {
            sum += Double(sample)
            if sample >= 32_767 || sample <= -32_767 { clipped += 1 }
            if sample == 0 { zeros += 1 }
            if let first { if sample != first { allSame = false } } else { first = sample }
            count += 1
            if count == Self.window { judge() }
        }
    }

    /// The lines to say since the last call.
    public mutating func takeLines() -> [String] {
        defer { lines.removeAll() }
        return lines
    }

    private mutating func judge() {
        let mean = sum / Double(count)
        var now: Set<Problem> = []
        let silentNow = zeros == count
        let stuckNow = !silentNow && allSame
        deadFor[.silent] = silentNow ? (deadFor[.silent] ?? 0) + 1 : 0
        deadFor[.stuck] = stuckNow ? (deadFor[.stuck] ?? 0) + 1 : 0
        if deadFor[.silent, default: 0] >= Self.deadSeconds { now.insert(.silent) }
        if deadFor[.stuck, default: 0] >= Self.deadSeconds { now.insert(.stuck) }
        // Clipping: one sample in a thousand at full scale.
        if !stuckNow && clipped * 1000 >= count { now.insert(.clipping) }
        // An offset of 5% of full scale (a level the recognizer hears as a loud hum).
        if !stuckNow && abs(mean) >= 0.05 * 32_768 { now.insert(.offset) }
        for problem in Problem.allCases {
            if now.contains(problem) && !current.contains(problem) && sinceEnded[problem].map({ $0 >= Self.sayAgainAfter }) ?? true {
                lines.append(Self.begins(problem, mean: mean))
                said.insert(problem)
            }
            if !now.contains(problem) && current.contains(problem) {
                if said.remove(problem) != nil { lines.append(Self.ends(problem)) }
                sinceEnded[problem] = 0
            } else if !now.contains(problem), let seconds = sinceEnded[problem] {
                sinceEnded[problem] = seconds + 1
            }
        }
        current = now
        count = 0
        sum = 0
        clipped = 0
        zeros = 0
        first = nil
        allSame = true
    }

    static func begins(_ problem: Problem, mean: Double) -> String {
        switch problem {
        case .silent: return "gives only digital silence (muted, or not the microphone?); voice commands cannot be heard"
        case .stuck: return "gives a signal that never moves (a dead input); voice commands cannot be heard"
        case .clipping: return "clips (its gain is too high: turn it down, e.g. in alsamixer); commands may be missed"
        case .offset:
            return String(format: "has a DC offset of %.0f%% of full scale (a faulty input or its bias); commands may be missed", 100 * abs(mean) / 32_768)
        }
    }

    static func ends(_ problem: Problem) -> String {
        switch problem {
        case .silent, .stuck: return "gives sound again"
        case .clipping: return "no longer clips"
        case .offset: return "has no DC offset any more"
        }
    }

    /// The loudest level (dBFS) under which speech is too quiet to be heard well: measured
    /// on issue 19's corpus, commands at -45 dBFS RMS (peaks about -30) were still heard.
    public static let quietestPeak = -40.0
}
