import Foundation
import Synchronization

/// What the service lends the companion page: the page is a control source like the others
/// (commands to the queue, starts through the `SessionStarter`, the status from the board),
/// and it may ask the box to say a pairing code.
public struct WebHost: Sendable {
    public var board: StatusBoard
    public var queue: ControlQueue
    public var start: SessionStarter
    /// Says a cue on the box (from the service's pack, or the one named); false when it
    /// cannot now (a session is playing).
    public var say: @Sendable (CueKey, [String: String], _ pack: String?) -> Bool
    public var log: @Sendable (String) -> Void
    /// The user's plans: the only folder the page reads or writes plans in.
    public var plansFolder: String
    /// The user's packs: the only folder the pack studio reads or writes.
    public var packsFolder: String
    public var devicesPath: String
    /// `--volume` on the service's command line: the page shows it and cannot change it.
    public var fixedVolume: Int?
    /// `--device` and `--pack` on the service's command line: shown, not changed.
    public var fixedDevice: String?
    public var fixedPack: String?
    /// Voice control's switch and level meter; nil when the service has no voice control.
    public var voice: VoiceGate?
    /// The output devices to choose from (ALSA's playback devices, as `aplay -L`).
    public var devices: @Sendable () -> [(name: String, description: String)] = { ALSASink.devices() }
    /// The cue packs to choose from (as `upturn packs`).
    public var packs: @Sendable () -> [(name: String, language: String)] = { PackAuthoring.installedPacks().map { ($0.name, $0.language) } }
    public var settingsFile: String = Settings.file
    /// Served over HTTPS (`--web-cert`): the cookie is `Secure`, and an `Origin` must be https.
    public var secure = false
    public var now: @Sendable () -> Double

    public init(
        board: StatusBoard, queue: ControlQueue, start: @escaping SessionStarter, say: @escaping @Sendable (CueKey, [String: String], String?) -> Bool,
        log: @escaping @Sendable (String) -> Void, plansFolder: String = WebApp.defaultPlansFolder, packsFolder: String = WebApp.defaultPacksFolder,
        devicesPath: String = PairedDevices.defaultPath, now: @escaping @Sendable () -> Double = { MonotonicClock.now }
    ) {
        self.board = board
        self.queue = queue
        self.start = start
        self.say = say
        self.log = log
        self.plansFolder = plansFolder
        self.packsFolder = packsFolder
        self.devicesPath = devicesPath
        self.now = now
    }
}

/// The companion page's routes: a request in, a response out, no sockets (`WebServer`
/// carries them). The page's files are open to anyone (they hold no data); every `/api/`
/// route but the two of pairing needs a paired phone's cookie, and every request that
/// changes something needs an `Origin` that is this box.
public final class WebApp: Sendable {
    public static let cookie = "upturn"
    /// The largest request body taken: a plan; a recording (the pack studio's) may be larger.
    public static let bodyLimit = 256 * 1024

    /// The largest body `method` `path` may carry.
    public static func bodyLimit(method: String, path: String) -> Int {
        method == "PUT" && path.hasPrefix("/api/packs/") && path.contains("/cues/") ? uploadLimit : bodyLimit
    }
    public static var defaultPlansFolder: String { XDGFolders.configHome + "/upturn/plans" }
    /// Where `play --pack NAME` finds the user's packs.
    public static var defaultPacksFolder: String { XDGFolders.dataHome + "/upturn/packs" }
    /// The largest upload (a recording for the pack studio).
    public static let uploadLimit = 4 * 1024 * 1024

    let host: WebHost
    private let pairing = Mutex(Pairing())
    private let devices: Mutex<(PairedDevices, modified: Double)>

    public init(host: WebHost) {
        self.host = host
        let log = host.log
        devices = Mutex((PairedDevices(path: host.devicesPath, warn: { log($0) }), Self.modified(host.devicesPath)))
    }

    public func handle(_ request: WebRequest) -> WebResponse {
        if let asset = WebPage.asset(request.path), request.method == "GET" || request.method == "HEAD" {
            return asset
        }
        guard request.path.hasPrefix("/api/") else { return .error(404, "no such page") }
        guard originAllowed(request) else {
            host.log("web: refused \(request.method) \(request.path) from \(request.peer): Origin \(request.headers["origin"] ?? "missing")")
            return .error(403, "this request did not come from the page")
        }
        switch (request.method, request.path) {
        case ("POST", "/api/pair/begin"): return beginPairing(request)
        case ("POST", "/api/pair"): return pair(request)
        default: break
        }
        guard let device = pairedDevice(request) else { return .error(401, "not paired") }
        return route(request, device: device)
    }

    private func route(_ request: WebRequest, device: PairedDevices.Device) -> WebResponse {
        switch (request.method, request.path) {
        case ("GET", "/api/hello"): return .json(200, "{\"paired\": true, \"name\": \(JSONText.string(device.name))}")
        case ("GET", "/api/status"): return .json(200, host.board.json)
        case ("GET", "/api/events"):
            var response = WebResponse(status: 200, contentType: "text/event-stream", body: [], headers: [("Cache-Control", "no-store")])
            response.streamsStatus = true
            return response
        case ("POST", "/api/control"): return control(request, device: device)
        case ("GET", "/api/sessions"): return WebLibrary.sessions(plansFolder: host.plansFolder)
        case ("POST", "/api/start"): return startSession(request, device: device)
        case ("GET", "/api/history"): return WebLibrary.history()
        case ("POST", "/api/check"): return WebLibrary.check(request)
        case ("POST", "/api/say"): return sayOnTheBox(request, device: device)
        case ("GET", "/api/settings"): return settings()
        case ("PUT", "/api/settings"): return changeSettings(request, device: device)
        case ("GET", "/api/voice"): return voiceLevel()
        default: break
        }
        if request.path == "/api/packs" {
            switch request.method {
            case "GET": return WebStudio.list(root: host.packsFolder)
            case "POST": return WebStudio.create(request, root: host.packsFolder, log: host.log)
            default: break
            }
        }
        if request.path.hasPrefix("/api/packs/") { return studio(request, device: device) }
        if request.path.hasPrefix("/api/plans/") {
            let name = String(request.path.dropFirst("/api/plans/".count))
            switch request.method {
            case "GET": return WebLibrary.readPlan(name, folder: host.plansFolder)
            case "PUT": return WebLibrary.savePlan(name, request, folder: host.plansFolder, log: host.log)
            default: break
            }
        }
        return .error(404, "no such request")
    }

    // MARK: Who may ask

    /// A request that changes something must carry an `Origin` naming this box (the `Host`
    /// the browser asked for); one that reads may leave it out, but a foreign one is refused.
    func originAllowed(_ request: WebRequest) -> Bool {
        guard let origin = request.headers["origin"] else {
            return request.method == "GET" || request.method == "HEAD"
        }
        guard let host = request.headers["host"], !host.isEmpty else { return false }
        // Plain HTTP may sit behind a TLS proxy, which the browser knows as https.
        return origin == "https://" + host || (!self.host.secure && origin == "http://" + host)
    }

    private func pairedDevice(_ request: WebRequest) -> PairedDevices.Device? {
        guard let token = request.cookie(Self.cookie), token.count == 64 else { return nil }
        return devices.withLock { stored in
            // `upturn web forget` changes the file: a phone forgotten is out at once.
            let modified = Self.modified(host.devicesPath)
            if modified != stored.modified {
                let log = host.log
                stored = (PairedDevices(path: host.devicesPath, warn: { log($0) }), modified)
            }
            return stored.0.device(token: token)
        }
    }

    private static func modified(_ path: String) -> Double {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
    }

    // MARK: Pairing

    private func beginPairing(_ request: WebRequest) -> WebResponse {
        var generator = SystemRandomNumberGenerator()
        let begun = pairing.withLock { $0.begin(now: host.now(), digits: { Int.random(in: 0...9, using: &generator) }) }
        switch begun {
        case .locked(let left):
            return .error(429, "pairing is locked after \(Pairing.attempts) wrong codes; try again in \(Int(left.rounded(.up))) s", extra: ", \"retry\": \(Int(left.rounded(.up)))")
        case .tooSoon(let left):
            let seconds = Int(left.rounded(.up))
            return .error(429, "a code was said a moment ago; enter it, or ask again in \(seconds) s", extra: ", \"retry\": \(seconds)")
        case .say(let code):
            host.log("web: pairing asked from \(request.peer); the code is \(code)")
            guard host.say(.webPair, ["code": Pairing.spoken(code)], nil) else {
                return .error(409, "a session is playing: the code cannot be said now; ask the box's owner for it (it is in the log)")
            }
            return .ok
        }
    }

    private func pair(_ request: WebRequest) -> WebResponse {
        guard let body = WebBody(request.body) else { return .error(400, "expected a JSON object") }
        let attempt = pairing.withLock { $0.attempt(body.string("code") ?? "", now: host.now()) }
        switch attempt {
        case .accepted:
            let token = Pairing.newToken()
            let name: String
            do throws(UpturnError) {
                name = try devices.withLock { stored throws(UpturnError) in
                    let name = try stored.0.add(name: body.string("name") ?? "phone", token: token)
                    stored.modified = Self.modified(host.devicesPath)
                    return name
                }
            } catch {
                host.log("web: " + (error.problems.first ?? "cannot keep the phone"))
                return .error(500, "the box could not keep this phone: \(error.problems.first ?? "")")
            }
            host.log("web: paired \(name) (\(request.peer))")
            let cookie = "\(Self.cookie)=\(token); Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000\(host.secure ? "; Secure" : "")"
            return WebResponse(
                status: 200, contentType: "application/json; charset=utf-8", body: Array("{\"paired\": true, \"name\": \(JSONText.string(name))}".utf8),
                headers: [("Set-Cookie", cookie)])
        case .wrong(let left):
            host.log("web: a wrong pairing code from \(request.peer); \(left) tries left")
            return .error(403, "wrong code; \(left) tr\(left == 1 ? "y" : "ies") left", extra: ", \"left\": \(left)")
        case .locked(let left):
            host.log("web: pairing locked for \(Int(left)) s after \(Pairing.attempts) wrong codes (from \(request.peer))")
            return .error(429, "too many wrong codes; pairing opens again in \(Int(left.rounded(.up))) s with a new code", extra: ", \"retry\": \(Int(left.rounded(.up)))")
        case .noCode:
            return .error(409, "no code is out: press \"Pair this phone\" to hear one")
        }
    }

    // MARK: The session

    private func control(_ request: WebRequest, device: PairedDevices.Device) -> WebResponse {
        guard let body = WebBody(request.body), let word = body.string("command") else { return .error(400, "expected {\"command\": …}") }
        guard let command = ControlCommand(rawValue: word) else {
            return .error(400, "unknown command '\(word.prefix(20))'; use \(ControlCommand.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        host.log("web: \(command.rawValue) from \(device.name)")
        host.queue.post(command)
        return .ok
    }

    /// `/api/packs/NAME`, `…/NAME/cues/KEY`, `…/NAME/check`, `…/NAME/audition`.
    private func studio(_ request: WebRequest, device: PairedDevices.Device) -> WebResponse {
        let parts = request.path.dropFirst("/api/packs/".count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let root = host.packsFolder
        switch (request.method, parts.count) {
        case ("GET", 1): return WebStudio.cues(parts[0], root: root)
        case ("PUT", 3) where parts[1] == "cues": return WebStudio.record(parts[0], key: parts[2], request, root: root, log: host.log)
        case ("POST", 2) where parts[1] == "check": return WebStudio.check(parts[0], root: root)
        case ("POST", 2) where parts[1] == "audition":
            guard let folder = WebStudio.packFolder(parts[0], in: root), FileManager.default.fileExists(atPath: folder + "/pack.json5") else {
                return .error(404, "no pack named \(parts[0].prefix(60))")
            }
            guard let key = WebBody(request.body)?.string("key"), let cue = CueKey.all.first(where: { $0.key == key }) else {
                return .error(400, "expected {\"key\": …} naming a cue")
            }
            host.log("web: audition \(key) of \(folder) from \(device.name)")
            return host.say(cue, PackAuthoring.exampleValues, folder) ? .ok : .error(409, "a session is playing; this can be heard after it")
        default: return .error(404, "no such request")
        }
    }

    /// `GET /api/settings`: what the page may change, as it is now (the next session uses it).
    private func settings() -> WebResponse {
        let settings: Settings
        do throws(UpturnError) { settings = try Settings.read(file: host.settingsFile) } catch {
            return .error(422, error.problems.first ?? "the settings do not read")
        }
        let volume = host.fixedVolume ?? settings.volume ?? 100
        let device = host.fixedDevice ?? settings.device ?? "default"
        let offered = host.devices(), packList = host.packs()
        var devices = offered.map { "{\"name\": \(JSONText.string($0.name)), \"description\": \(JSONText.string($0.description))}" }
        if !offered.contains(where: { $0.name == "default" }) { devices.insert("{\"name\": \"default\", \"description\": \"The system's default\"}", at: 0) }
        let packs = packList.map { "{\"name\": \(JSONText.string($0.name)), \"language\": \(JSONText.string($0.language))}" }
        let voice = host.voice.map {
            "{\"device\": \(JSONText.string($0.device)), \"on\": \($0.isOn), \"level\": \(String(format: "%.1f", $0.level)), \"quietest\": \(MicrophoneHealth.quietestPeak)}"
        } ?? "null"
        return .json(
            200,
            "{\"alone\": \(settings.alone), \"volume\": \(volume), \"volume_fixed\": \(host.fixedVolume != nil), \"ceiling\": \(settings.rules.ceiling), "
                + "\"device\": \(JSONText.string(device)), \"device_fixed\": \(host.fixedDevice != nil), \"devices\": [\(devices.joined(separator: ", "))], "
                + "\"pack\": \(JSONText.string(host.fixedPack ?? settings.pack ?? packList.first?.name ?? "en")), \"pack_fixed\": \(host.fixedPack != nil), "
                + "\"packs\": [\(packs.joined(separator: ", "))], \"voice\": \(voice)}")
    }

    /// `GET /api/voice`: voice control's switch and the microphone's level now (the page's
    /// meter asks about five times a second while it is shown); 404 without voice control.
    private func voiceLevel() -> WebResponse {
        guard let voice = host.voice else { return .error(404, "this box has no voice control (serve --controls voice:MIC,…)") }
        return .json(
            200,
            "{\"on\": \(voice.isOn), \"level\": \(String(format: "%.1f", voice.level)), \"quietest\": \(MicrophoneHealth.quietestPeak), "
                + "\"too_low\": \(voice.level < MicrophoneHealth.quietestPeak)}")
    }

    /// `PUT /api/settings` with one or more of `alone`, `volume` (0–100), `ceiling` (20–90),
    /// `device` and `pack` (one of those offered), `voice_control` (true or false): kept in the
    /// settings file (its other lines and comments untouched); the next session uses them.
    private func changeSettings(_ request: WebRequest, device: PairedDevices.Device) -> WebResponse {
        guard let body = WebBody(request.body), case .object(let members) = body.node.value, !members.isEmpty else {
            return .error(400, "expected {\"alone\": …, \"volume\": …, \"ceiling\": …}")
        }
        var changes: [(String, String)] = []
        var voiceOn: Bool?
        for member in members {
            switch (member.key, member.value.value) {
            case ("alone", .bool(let on)): changes.append(("alone", on ? "true" : "false"))
            case ("volume", .number(let n)) where (0...100).contains(n) && n == n.rounded():
                guard host.fixedVolume == nil else { return .error(409, "the service was started with --volume \(host.fixedVolume!); change it there") }
                changes.append(("volume", "\(Int(n))"))
            case ("ceiling", .number(let n)) where (20...90).contains(n) && n == n.rounded(): changes.append(("ceiling", "\(Int(n))"))
            case ("device", .string(let name)):
                guard host.fixedDevice == nil else { return .error(409, "the service was started with --device \(host.fixedDevice!); change it there") }
                guard name == "default" || host.devices().contains(where: { $0.name == name }) else {
                    return .error(400, "no output device '\(name.prefix(60))' on this box")
                }
                changes.append(("device", JSONText.string(name)))
            case ("pack", .string(let name)):
                guard host.fixedPack == nil else { return .error(409, "the service was started with --pack \(host.fixedPack!); change it there") }
                guard host.packs().contains(where: { $0.name == name }) else { return .error(400, "no cue pack '\(name.prefix(60))' on this box") }
                changes.append(("pack", JSONText.string(name)))
            case ("voice_control", .bool(let on)):
                guard host.voice != nil else { return .error(409, "this box has no voice control (serve --controls voice:MIC,…)") }
                changes.append(("voice_control", on ? "true" : "false"))
                voiceOn = on
            default:
                return .error(
                    400, "'\(member.key.prefix(20))': expected alone (true or false), volume (0 to 100), ceiling (20 to 90 degrees), "
                        + "device, pack (a name this box offers) or voice_control (true or false)")
            }
        }
        for (key, value) in changes {
            do throws(UpturnError) { try Settings.set(key, to: value, file: host.settingsFile) } catch {
                return .error(422, error.problems.first ?? "cannot change the settings")
            }
            host.log("web: \(key) set to \(value) from \(device.name)")
        }
        if let voiceOn { host.voice?.set(on: voiceOn) }
        return settings()
    }

    /// "Say this cue on the box" (the plan editor): between sessions only.
    private func sayOnTheBox(_ request: WebRequest, device: PairedDevices.Device) -> WebResponse {
        guard let body = WebBody(request.body), let text = body.string("text"), !text.isEmpty else { return .error(400, "expected {\"text\": …}") }
        guard text.count <= 300 else { return .error(400, "at most 300 characters at a time") }
        host.log("web: say \"\(text.prefix(60))\" from \(device.name)")
        return host.say(.webSay, ["text": text], nil) ? .ok : .error(409, "a session is playing; this can be heard after it")
    }

    private func startSession(_ request: WebRequest, device: PairedDevices.Device) -> WebResponse {
        guard let body = WebBody(request.body) else { return .error(400, "expected {\"plan\": …}") }
        let asked = body.string("plan") ?? Session.todayProgram
        let plan: String
        if asked == Session.todayProgram || BuiltinPrograms.names.contains(asked) {
            plan = asked
        } else {
            guard let path = WebLibrary.planPath(asked, folder: host.plansFolder) else {
                return .error(400, "'\(asked.prefix(40))' is not a program or one of your plans")
            }
            plan = path
        }
        host.log("web: start \(asked) from \(device.name)")
        let reply = host.start(plan == Session.todayProgram ? nil : plan)
        return reply == "ok" ? .ok : .error(409, String(reply.dropFirst(reply.hasPrefix("error: ") ? 7 : 0)))
    }
}

/// A request's JSON object, read with the project's parser.
struct WebBody {
    let node: JSONNode
    init?(_ bytes: [UInt8]) {
        guard let node = try? JSON5Parser.parse(bytes), case .object = node.value else { return nil }
        self.node = node
    }
    func string(_ key: String) -> String? {
        if case .string(let text)? = node[key]?.value { return text }
        return nil
    }
}
