import Foundation

/// A control source named on the command line (`--controls keyboard,evdev:auto,gpio:0:17`).
public enum ControlSpec: Equatable, Sendable {
    case keyboard
    case socket
    case evdev(path: String)
    case evdevAuto
    case gpio(chip: String, lines: [Int])
    /// MPRIS on the D-Bus session bus (media keys, phone remotes, playerctl, headphones).
    case mpris
    /// Spoken commands from a microphone (ALSA capture device; `default` unless named).
    case voice(device: String)

    /// Every control source's words, once: as `--controls` help and errors list them
    /// (`usage`), as the shell completes them (`completion`; `Scripts/completion` is checked
    /// against it by a test), and the spec of a word that takes no argument (`plain`).
    /// A new source adds its line here, its case, and its `source(…)` and `label` arms.
    static let table: [(usage: String, completion: [String], plain: (word: String, spec: ControlSpec)?)] = [
        ("keyboard", ["keyboard"], ("keyboard", .keyboard)),
        ("socket", ["socket"], ("socket", .socket)),
        ("evdev:PATH", ["evdev:"], nil),
        ("evdev:auto", ["evdev:auto"], ("evdev:auto", .evdevAuto)),
        ("gpio:CHIP:LINE[,LINE]", ["gpio:"], nil),
        ("mpris", ["mpris"], ("mpris", .mpris)),
        ("voice[:DEVICE]", ["voice", "voice:"], ("voice", .voice(device: "default"))),
        ("voice=DEVICE", [], nil),
        ("none", ["none"], nil),
    ]

    public static var words: [String] { table.map(\.usage) }

    /// What the shell completes after `--controls`.
    public static var completionWords: [String] { table.flatMap(\.completion) }

    /// Parses a comma-separated list; `none` alone means no controls but signals.
    /// Unknown words are usage errors (exit 64).
    ///
    /// ALSA's names hold commas too: `voice:plughw:1,0` and `voice:hw:CARD=Mic,DEV=0` are
    /// read whole (a bare number or a `NAME=VALUE` after a voice device is part of it), and
    /// `voice=DEVICE`, last in the list, takes everything after it as the device's name.
    public static func parse(_ text: String) throws(UpturnError) -> [ControlSpec] {
        var specs: [ControlSpec] = []
        let text = Substring(text)
        if let range = text.range(of: "voice="), range.lowerBound == text.startIndex || text[text.index(before: range.lowerBound)] == "," {
            let device = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
            guard !device.isEmpty else { throw UpturnError.usage("--controls: voice= needs a device name, e.g. voice=plughw:1,0") }
            specs = try parse(String(text[..<range.lowerBound]))
            return specs + [.voice(device: device)]
        }
        // gpio lines are comma-separated too: "gpio:0:17,27" — a bare number joins the gpio before it.
        for raw in text.split(separator: ",", omittingEmptySubsequences: true).map({ String($0).trimmingCharacters(in: .whitespaces) }) {
            if let line = Int(raw), case .gpio(let chip, let lines)? = specs.last {
                specs[specs.count - 1] = .gpio(chip: chip, lines: lines + [line])
                continue
            }
            if case .voice(let device)? = specs.last, device != "default", Int(raw) != nil || (raw.contains("=") && !raw.hasPrefix("voice")) {
                specs[specs.count - 1] = .voice(device: device + "," + raw)
                continue
            }
            if raw == "none" { continue }
            if let plain = table.first(where: { $0.plain?.word == raw })?.plain {
                specs.append(plain.spec)
            } else if raw.hasPrefix("voice:"), raw.count > 6 {
                specs.append(.voice(device: String(raw.dropFirst(6))))
            } else if raw.hasPrefix("evdev:"), raw.count > 6 {
                specs.append(.evdev(path: String(raw.dropFirst(6))))
            } else if raw.hasPrefix("gpio:") {
                let parts = raw.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 3, !parts[1].isEmpty, let line = Int(parts[2]) else {
                    throw UpturnError.usage("--controls: '\(raw.prefix(60))' should be gpio:CHIP:LINE, e.g. gpio:gpiochip0:17")
                }
                specs.append(.gpio(chip: String(parts[1]), lines: [line]))
            } else {
                let hint = Spelling.hint(for: raw, in: table.compactMap { $0.plain?.word } + ["none"])
                throw UpturnError.usage(
                    "--controls: unknown control '\(raw.prefix(60))'\(hint); use \(words.joined(separator: ", "))")
            }
        }
        return specs
    }

    /// Reads a key map file: `{skip: ["KEY_PAGEDOWN", 109], toggle: ["KEY_SPACE"], ...}`.
    /// Commands it names replace the default keys for those commands.
    public static func keyMap(file: String) throws(UpturnError) -> [Int: ControlCommand] {
        let bytes = try FileBytes.read(file, limit: 1 << 20, what: "key map")
        var problems = Problems(file: file)
        var map = EvdevControl.defaultKeyMap
        do {
            let root = try JSON5Parser.parse(bytes)
            if let object = ObjectReader(root, path: "", problems: &problems) {
                object.rejectUnknownKeys(ControlCommand.allCases.map(\.rawValue), problems: &problems, what: "a key map")
                for member in object.members {
                    guard let command = ControlCommand(rawValue: member.key) else { continue }
                    guard case .array(let keys) = member.value.value else {
                        problems.add("expected a list of keys, found \(member.value.typeName)", at: member.value.location, path: member.key)
                        continue
                    }
                    map = map.filter { $0.value != command }
                    for key in keys {
                        switch key.value {
                        case .number(let n) where n >= 0 && n < 0x300 && n == n.rounded(): map[Int(n)] = command
                        case .string(let name) where EvdevControl.keyNames[name] != nil: map[EvdevControl.keyNames[name]!] = command
                        case .string(let name):
                            problems.add(
                                "unknown key '\(name.prefix(40))'\(Spelling.hint(for: name, in: Array(EvdevControl.keyNames.keys)))",
                                at: key.location, path: member.key)
                        default:
                            problems.add("expected a key name or code, found \(key.typeName)", at: key.location, path: member.key)
                        }
                    }
                }
            }
        } catch {
            problems.add(syntax: error)
        }
        try problems.throwIfAny()
        return map
    }

    /// The key map file, if the user has one: `$XDG_CONFIG_HOME/upturn/keys.json5`.
    public static var keyMapFile: String { XDGFolders.configHome + "/upturn/keys.json5" }

    /// The key map: the user's file when there is one, else the default keys.
    public static func loadKeyMap() throws(UpturnError) -> [Int: ControlCommand] {
        guard FileManager.default.fileExists(atPath: keyMapFile) else { return EvdevControl.defaultKeyMap }
        return try keyMap(file: keyMapFile)
    }

    /// True when a list names an input device (only then does `play` read the key map).
    public static func usesEvdev(_ specs: [ControlSpec]) -> Bool {
        specs.contains { if case .evdev = $0 { return true }; return $0 == .evdevAuto }
    }

    /// Makes the source. Missing devices are 66, unusable ones 69.
    /// `report` hears a pedal being pulled and plugged in again; with `waitForDevices`
    /// (`serve`), a pedal not plugged in yet (or, for `evdev:auto`, any device with keys) is
    /// waited for instead of being an error.
    public func source(
        keyMap: [Int: ControlCommand], socketPath: String, board: StatusBoard,
        report: (@Sendable (String) -> Void)? = nil, waitForDevices: Bool = false, voice: VoiceSetup = VoiceSetup(),
        starter: SessionStarter? = nil
    ) throws(UpturnError) -> any ControlSource {
        switch self {
        case .keyboard: return KeyboardControl()
        case .socket:
            let socket = ControlSocket(path: socketPath, status: { board.json })
            socket.onStart = starter
            return socket
        case .evdev(let path):
            let pedal = EvdevControl(path: path, keyMap: keyMap)
            pedal.report = report
            pedal.waitsForDevice = waitForDevices
            return pedal
        case .evdevAuto:
            let pedal = EvdevControl.automatic(keyMap: keyMap)
            pedal.report = report
            pedal.waitsForDevice = waitForDevices
            return pedal
        case .gpio(let chip, let lines): return GPIOControl(chip: chip, lines: lines)
        case .mpris: return MPRISControl(board: board, report: report)
        case .voice(let device):
            let listener = VoiceControl(device: device, commands: voice.commands, model: voice.model, echo: voice.echo, report: report)
            listener.waitsForDevice = waitForDevices
            if let starter { listener.onStart = { @Sendable in _ = starter(nil) } }
            listener.isTilted = { board.status.isTilted }
            listener.playerSaying = { board.status.playing?.saying ?? "" }
            listener.playerWords = { board.status.playing?.words }
            listener.gate = voice.gate
            return listener
        }
    }

    /// The voice control in a list, if any (`play` then taps its sink for the echo reference).
    public static func voiceDevice(_ specs: [ControlSpec]) -> String? {
        for spec in specs { if case .voice(let device) = spec { return device } }
        return nil
    }
}

/// What a voice control needs besides its device: the phrases (from the cue pack), the
/// recognizer's model, and the player's output to cancel.
public struct VoiceSetup: Sendable {
    public var commands: VoiceCommands
    public var model: String
    public var echo: EchoReference?
    /// The switch and level meter the companion page shows (`serve`).
    public var gate: VoiceGate?

    public init(
        commands: VoiceCommands = .english, model: String = SpeechRecognizer.defaultModel, echo: EchoReference? = nil
    ) {
        self.commands = commands
        self.model = model
        self.echo = echo
    }
}

extension ControlSpec {
    /// How the service's log names it: "socket /run/…/control.sock", "gpio 0:17,27".
    public func label(socketPath: String) -> String {
        switch self {
        case .keyboard: return "keyboard"
        case .socket: return "socket \(socketPath)"
        case .evdev(let path): return "evdev \(path)"
        case .evdevAuto: return "evdev auto"
        case .gpio(let chip, let lines): return "gpio \(chip):\(lines.map(String.init).joined(separator: ","))"
        case .mpris: return "mpris"
        case .voice(let device): return "voice \(device)"
        }
    }
}

extension ControlSpec {
    /// Makes the source (as `source(…)` does) and starts it on `queue`.
    public func start(
        _ queue: ControlQueue, keyMap: [Int: ControlCommand], socketPath: String, board: StatusBoard,
        report: (@Sendable (String) -> Void)? = nil, waitForDevices: Bool = false, voice: VoiceSetup = VoiceSetup()
    ) throws(UpturnError) -> any ControlSource {
        let made = try source(
            keyMap: keyMap, socketPath: socketPath, board: board, report: report, waitForDevices: waitForDevices, voice: voice)
        try made.start(queue)
        return made
    }
}
