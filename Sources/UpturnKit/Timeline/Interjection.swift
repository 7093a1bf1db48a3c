/// A short spoken interjection of the transport ("Paused", "Resuming. Three, two, one",
/// "Audio is back"): events at frames from its start, and its length.
public struct Interjection: Sendable {
    public var events: [TimelineEvent]
    public var frames: Int
    public init(events: [TimelineEvent], frames: Int) {
        self.events = events
        self.frames = frames
    }
}

extension Interjection {
    /// Cues one after another as one timeline (serve's announcements): no steps, no closing.
    public static func timeline(_ cues: [Interjection], rate: Int) -> Timeline {
        var events: [TimelineEvent] = []
        var offset = 0
        for cue in cues {
            for var event in cue.events {
                event.frame += offset
                events.append(event)
            }
            offset += cue.frames
        }
        return Timeline(rate: rate, frames: offset, events: events, steps: [], closing: [], closingFrames: 0)
    }
}
