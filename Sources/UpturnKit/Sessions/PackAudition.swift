/// `upturn pack audition`: a pack's every cue as one timeline. Here, not in Pack, because it
/// lays out a timeline (Pack is below Timeline).
extension PackAuthoring {
    /// Every cue of a pack, each announced by its key, as one timeline: an author hears the
    /// whole pack in one go.
    public static func audition(_ pack: CuePack, rate: Int, measure: any ClipMeasuring) throws(UpturnError) -> Timeline {
        let announcer = VoiceSettings(name: "en-us", rate: 170, pitch: 30, volume: 80)
        var events: [TimelineEvent] = []
        var t = rate / 5
        let gap = rate / 3
        func add(_ key: String, _ text: String?, _ clip: ClipSource, kind: TimelineEvent.Kind) throws(UpturnError) {
            let length = try measure.frames(of: clip)
            events.append(TimelineEvent(frame: t, kind: kind, key: key, text: text, step: 0, clip: clip, length: length, angle: 0, inverted: false))
            t += length + gap
        }
        for key in CueKey.all {
            let spokenKey = key.key.replacingOccurrences(of: ".", with: " ").replacingOccurrences(of: "-", with: " ")
            try add("announce", spokenKey, .speech(text: spokenKey, voice: announcer), kind: .speech)
            switch pack.cues[key.key] {
            case .text(let template)?:
                let text = Template.fill(template, exampleValues)
                try add(key.key, text, .speech(text: text, voice: pack.voice), kind: .speech)
            case .recording(let ref, let words)?:
                try add(key.key, words, .recording(ref, volume: pack.voice.volume), kind: .speech)
            case nil:
                break
            }
            t += gap
        }
        for name in CueKey.soundNames {
            guard let ref = pack.sounds[name] else { continue }
            try add("announce", "sound \(name)", .speech(text: "sound \(name)", voice: announcer), kind: .speech)
            try add(name, nil, .audio(ref), kind: .sound)
        }
        return Timeline(rate: rate, frames: t + rate / 2, events: events, steps: [], closing: [], closingFrames: 0)
    }
}
