import Foundation

/// The one-line status on a terminal: step, time left in the step, time left in the session.
/// Updated in place with a carriage return; cleared at the end.
public final class StatusLine {
    private let timeline: Timeline
    private let stepCount: Int
    private var lastText = ""
    private let write: (String) -> Void

    public init(timeline: Timeline, stepCount: Int, write: @escaping (String) -> Void) {
        self.timeline = timeline
        self.stepCount = stepCount
        self.write = write
    }

    /// The status text at a frame, without terminal control codes.
    public func text(at frame: Int) -> String {
        let rate = timeline.rate
        let sessionLeft = (timeline.frames - frame + rate - 1) / rate
        guard let span = timeline.step(at: frame) else { return "" }
        let stepLeft = (span.end - frame + rate - 1) / rate
        let position: String
        if span.index == 0 { position = "Start" } else if span.index > stepCount { position = "Finish" } else { position = "\(span.index)/\(stepCount)" }
        let angle = span.angle > 0 ? " \(span.angle)°" : ""
        return "\(position) \(TerminalText.safe(String(span.title.prefix(40))))\(angle) · \(DurationText.clock(seconds: stepLeft)) left in step · \(DurationText.clock(seconds: sessionLeft)) left"
    }

    public func update(frame: Int, paused: Bool = false) {
        let text = (paused ? "Paused · " : "") + self.text(at: frame)
        guard text != lastText else { return }
        lastText = text
        write("\r\u{1B}[2K" + text)
    }

    public func clear() {
        if !lastText.isEmpty { write("\r\u{1B}[2K") }
        lastText = ""
    }
}
