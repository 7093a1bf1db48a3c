import Foundation
import Synchronization
import XCTest

@testable import UpturnKit

/// The companion page without sockets: pairing as a state machine, the address `--web`
/// takes, and the routes (who may ask, what they may touch), with a fake service.
final class WebTests: XCTestCase {
    func testACodeIsGoodOnceAndFiveWrongOnesLockPairingAndThrowItAway() {
        var pairing = Pairing()
        var digits = [4, 7, 2, 9, 1, 5].makeIterator()
        XCTAssertEqual(pairing.begin(now: 0, digits: { digits.next()! }), .say("472915"))
        XCTAssertEqual(Pairing.spoken("472915"), "4 7 2 9 1 5")
        XCTAssertEqual(pairing.attempt("000000", now: 1), .wrong(left: 4))
        XCTAssertEqual(pairing.attempt("472 915", now: 2), .accepted, "spaces typed between digits do not matter")
        XCTAssertEqual(pairing.attempt("472915", now: 3), .noCode, "a code is good once")

        _ = pairing.begin(now: 10, digits: { 3 })
        XCTAssertEqual(pairing.begin(now: 12, digits: { 9 }), .tooSoon(Pairing.repeatSeconds - 2), "no new code while one is being typed")
        for n in 1...4 { XCTAssertEqual(pairing.attempt("000000", now: 10 + Double(n)), .wrong(left: 5 - n)) }
        XCTAssertEqual(pairing.attempt("000000", now: 15), .locked(Pairing.lockSeconds))
        XCTAssertEqual(pairing.attempt("333333", now: 16), .locked(Pairing.lockSeconds - 1), "the right code is refused while locked")
        XCTAssertEqual(pairing.begin(now: 30, digits: { 3 }), .locked(45))
        XCTAssertEqual(pairing.begin(now: 75, digits: { 8 }), .say("888888"), "a new code after the lock")
        XCTAssertEqual(pairing.begin(now: 76, digits: { 7 }), .tooSoon(Pairing.repeatSeconds - 1))
        XCTAssertEqual(pairing.attempt("333333", now: 76), .wrong(left: 4), "the old code was thrown away")
    }

    func testACodeRunsOut() {
        var pairing = Pairing()
        _ = pairing.begin(now: 0, digits: { 1 })
        XCTAssertEqual(pairing.attempt("111111", now: Pairing.codeSeconds + 1), .noCode)
    }

    func testTokensAreLongAndRandom() {
        let a = Pairing.newToken(), b = Pairing.newToken()
        XCTAssertEqual(a.count, 64)
        XCTAssertTrue(a.allSatisfy(\.isHexDigit))
        XCTAssertNotEqual(a, b)
    }

    func testWebAddresses() throws {
        XCTAssertEqual(try WebAddress.parse(""), WebAddress(host: "0.0.0.0", port: 8080))
        XCTAssertEqual(try WebAddress.parse(":9000"), WebAddress(host: "0.0.0.0", port: 9000))
        XCTAssertEqual(try WebAddress.parse("192.168.1.20"), WebAddress(host: "192.168.1.20", port: 8080))
        XCTAssertEqual(try WebAddress.parse("localhost:81"), WebAddress(host: "127.0.0.1", port: 81))
        XCTAssertEqual(try WebAddress.parse("[::1]:8443"), WebAddress(host: "::1", port: 8443))
        XCTAssertEqual(try WebAddress.parse("[::]"), WebAddress(host: "::", port: 8080))
        for bad in ["box.local", ":99999", ":http", "1.2.3.4:5:6", "[::1", "300.1.1.1"] {
            XCTAssertThrowsError(try WebAddress.parse(bad), bad) { error in
                XCTAssertEqual((error as? UpturnError)?.code, .usage, bad)
            }
        }
    }

    func testPairedPhonesAreKeptForTheOwnerOnlyAndForgotten() throws {
        let path = temporaryFolder() + "/upturn/web-devices.jsonl"
        var devices = PairedDevices(path: path)
        XCTAssertEqual(try devices.add(name: "Pixel", token: String(repeating: "a", count: 64)), "Pixel")
        XCTAssertEqual(try devices.add(name: "Pixel", token: String(repeating: "b", count: 64)), "Pixel 2")
        XCTAssertEqual(try devices.add(name: "../../x\n", token: String(repeating: "c", count: 64)), "x", "only letters, digits and -_.' kept; no leading dot")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        var read = PairedDevices(path: path)
        XCTAssertEqual(read.devices.map(\.name), ["Pixel", "Pixel 2", "x"])
        XCTAssertEqual(read.device(token: String(repeating: "b", count: 64))?.name, "Pixel 2")
        XCTAssertNil(read.device(token: String(repeating: "d", count: 64)))
        XCTAssertTrue(try read.forget("Pixel"))
        XCTAssertFalse(try read.forget("Pixel"))
        XCTAssertEqual(PairedDevices(path: path).devices.map(\.name), ["Pixel 2", "x"])
        // A torn or foreign line is skipped with a warning, not a crash.
        try (String(decoding: FileManager.default.contents(atPath: path)!, as: UTF8.self) + "{\"name\": \"half\n").write(
            toFile: path, atomically: true, encoding: .utf8)
        var warnings: [String] = []
        XCTAssertEqual(PairedDevices(path: path, warn: { warnings.append($0) }).devices.count, 2)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].hasPrefix(path + ":3:"), warnings[0])
    }

    // MARK: Routes

    final class FakeService: @unchecked Sendable {
        // @unchecked: the test's thread only.
        var said: [(String, [String: String])] = []
        var started: [String?] = []
        var busy = false
        var clock = 0.0
    }

    func makeApp(_ service: FakeService = FakeService()) -> (WebApp, ControlQueue, String) {
        let folder = temporaryFolder()
        let queue = ControlQueue()
        var host = WebHost(
            board: StatusBoard(idle: .waiting(ServeWaiting(audioReady: true))), queue: queue,
            start: { plan in service.started.append(plan); return service.busy ? "error: a session (x) is starting or playing" : "ok" },
            say: { cue, values, _ in
                guard !service.busy else { return false }
                service.said.append((cue.key, values))
                return true
            }, log: { _ in }, plansFolder: folder + "/plans", packsFolder: folder + "/packs", devicesPath: folder + "/devices.jsonl", now: { service.clock })
        host.settingsFile = folder + "/settings.json5"
        host.devices = { [("default", "Default ALSA device"), ("plughw:CARD=USB,DEV=0", "USB Audio")] }
        host.packs = { [("en", "en-US"), ("fr", "fr-FR")] }
        return (WebApp(host: host), queue, folder)
    }

    let origin = ["Origin": "http://box:8080", "Host": "box:8080"]

    func post(_ path: String, _ body: String, cookie: String? = nil, method: String = "POST") -> WebRequest {
        var headers = origin
        if let cookie { headers["Cookie"] = "theme=dark; upturn=" + cookie }
        return WebRequest(method: method, path: path, headers: headers, body: Array(body.utf8))
    }

    /// Pairs through the routes as a phone does; the cookie's token.
    func pair(_ app: WebApp, _ service: FakeService) throws -> String {
        XCTAssertEqual(app.handle(post("/api/pair/begin", "")).status, 200)
        let code = try XCTUnwrap(service.said.last?.1["code"]).filter(\.isNumber)
        XCTAssertEqual(service.said.last?.0, "web.pair")
        let response = app.handle(post("/api/pair", "{\"code\": \"\(code)\", \"name\": \"Phone\"}"))
        XCTAssertEqual(response.status, 200, response.bodyText)
        let cookie = try XCTUnwrap(response.headers.first { $0.0 == "Set-Cookie" }?.1)
        XCTAssertTrue(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), cookie)
        return String(try XCTUnwrap(cookie.split(separator: ";").first).dropFirst("upturn=".count))
    }

    func testUnpairedRequestsGet401AndNothingElseButThePageAndPairing() throws {
        let (app, queue, _) = makeApp()
        XCTAssertEqual(app.handle(WebRequest(method: "GET", path: "/")).status, 200)
        XCTAssertTrue(app.handle(WebRequest(method: "GET", path: "/")).bodyText.contains("Pair this phone"))
        for (method, path) in [("GET", "/api/status"), ("GET", "/api/events"), ("GET", "/api/history"), ("GET", "/api/sessions"), ("GET", "/api/plans/x")] {
            let response = app.handle(WebRequest(method: method, path: path, headers: ["Cookie": "upturn=" + String(repeating: "0", count: 64)]))
            XCTAssertEqual(response.status, 401, path)
            XCTAssertEqual(response.bodyText, "{\"error\": \"not paired\"}", path)
        }
        XCTAssertEqual(app.handle(post("/api/control", "{\"command\": \"stop\"}")).status, 401)
        XCTAssertEqual(app.handle(post("/api/start", "{}")).status, 401)
        XCTAssertTrue(queue.take().isEmpty, "nothing reached the player")
        XCTAssertEqual(app.handle(WebRequest(method: "GET", path: "/etc/passwd")).status, 404)
    }

    func testAChangeMustComeFromThePagesOwnOrigin() throws {
        let service = FakeService()
        let (app, queue, _) = makeApp(service)
        let token = try pair(app, service)
        var request = post("/api/control", "{\"command\": \"pause\"}", cookie: token)
        request.headers["origin"] = "http://evil.example"
        XCTAssertEqual(app.handle(request).status, 403)
        request.headers["origin"] = nil
        XCTAssertEqual(app.handle(request).status, 403, "a change without an Origin")
        request.headers["origin"] = "https://box:8080"
        XCTAssertEqual(app.handle(request).status, 200, "TLS in front: https is the same box")
        XCTAssertEqual(queue.take(), [.pause])
        // Reading may leave the Origin out (a link, a reload).
        XCTAssertEqual(app.handle(WebRequest(method: "GET", path: "/api/status", headers: ["Cookie": "upturn=" + token])).status, 200)
    }

    func testOverHTTPSOnlyAnHTTPSOriginIsTheBoxAndTheCookieIsSecure() throws {
        let service = FakeService()
        let (plain, _, _) = makeApp(service)
        var host = plain.host
        host.secure = true
        let app = WebApp(host: host)
        func secure(_ request: WebRequest) -> WebRequest {
            var request = request
            request.headers["origin"] = "https://box:8080"
            return request
        }
        XCTAssertEqual(app.handle(post("/api/pair/begin", "")).status, 403, "an http Origin, on a box that speaks https")
        XCTAssertEqual(app.handle(secure(post("/api/pair/begin", ""))).status, 200)
        let code = try XCTUnwrap(service.said.last?.1["code"]).filter(\.isNumber)
        let response = app.handle(secure(post("/api/pair", "{\"code\": \"\(code)\", \"name\": \"Phone\"}")))
        let cookie = try XCTUnwrap(response.headers.first { $0.0 == "Set-Cookie" }?.1)
        XCTAssertTrue(cookie.hasSuffix("; Secure"), cookie)
        let token = String(try XCTUnwrap(cookie.split(separator: ";").first).dropFirst("upturn=".count))
        var request = post("/api/control", "{\"command\": \"pause\"}", cookie: token)
        request.headers["origin"] = "http://box:8080"
        XCTAssertEqual(app.handle(request).status, 403, "a page over plain HTTP is not this box's")
        request.headers["origin"] = "https://box:8080"
        XCTAssertEqual(app.handle(request).status, 200)
    }

    func testACertificateAndKeyAreReadBeforeTheServiceStarts() throws {
        let folder = temporaryFolder()
        XCTAssertThrowsError(try WebTLS.load(certificate: folder + "/none.pem", key: folder + "/none.key")) { error in
            XCTAssertEqual((error as? UpturnError)?.code, .noInput)
            XCTAssertTrue("\(error)".contains(folder + "/none.pem"), "\(error)")
        }
        FileManager.default.createFile(atPath: folder + "/cert.pem", contents: Data("hello\n".utf8))
        FileManager.default.createFile(atPath: folder + "/key.pem", contents: Data("-----BEGIN PRIVATE KEY-----\nx\n".utf8))
        XCTAssertThrowsError(try WebTLS.load(certificate: folder + "/cert.pem", key: folder + "/key.pem")) { error in
            XCTAssertEqual((error as? UpturnError)?.code, .dataError)
            XCTAssertEqual((error as? UpturnError)?.problems, [folder + "/cert.pem:1:1: not a certificate in PEM ('-----BEGIN CERTIFICATE-----' expected)"])
        }
    }

    func testControlsReachTheQueueAndUnknownOnesAreRefused() throws {
        let service = FakeService()
        let (app, queue, _) = makeApp(service)
        let token = try pair(app, service)
        for word in ["pause", "resume", "skip", "back", "stop"] {
            XCTAssertEqual(app.handle(post("/api/control", "{\"command\": \"\(word)\"}", cookie: token)).status, 200)
        }
        XCTAssertEqual(queue.take(), [.pause, .resume, .skip, .back, .stop])
        let bad = app.handle(post("/api/control", "{\"command\": \"explode\"}", cookie: token))
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(bad.bodyText.contains("unknown command 'explode'"), bad.bodyText)
        XCTAssertEqual(app.handle(post("/api/control", "not json", cookie: token)).status, 400)
        XCTAssertTrue(queue.take().isEmpty)
    }

    func testPairingIsSaidOnlyBetweenSessionsAndLocksAfterFiveWrongCodes() throws {
        let service = FakeService()
        let (app, _, _) = makeApp(service)
        service.busy = true
        XCTAssertEqual(app.handle(post("/api/pair/begin", "")).status, 409, "no code said over a session")
        service.busy = false
        XCTAssertEqual(app.handle(post("/api/pair/begin", "")).status, 429, "a new code at most every \(Pairing.repeatSeconds) s")
        service.clock = Pairing.repeatSeconds
        XCTAssertEqual(app.handle(post("/api/pair/begin", "")).status, 200)
        let code = service.said.last!.1["code"]!.filter(\.isNumber)
        let wrong = code == "000000" ? "111111" : "000000"
        for left in (1...4).reversed() {
            let response = app.handle(post("/api/pair", "{\"code\": \"\(wrong)\"}"))
            XCTAssertEqual(response.status, 403)
            XCTAssertTrue(response.bodyText.contains("\"left\": \(left)"), response.bodyText)
        }
        XCTAssertEqual(app.handle(post("/api/pair", "{\"code\": \"\(wrong)\"}")).status, 429)
        XCTAssertEqual(app.handle(post("/api/pair", "{\"code\": \"\(code)\"}")).status, 429, "locked: even the right code")
        XCTAssertEqual(app.handle(post("/api/pair/begin", "")).status, 429)
        service.clock += Pairing.lockSeconds + 1
        XCTAssertEqual(app.handle(post("/api/pair", "{\"code\": \"\(code)\"}")).status, 409, "the old code is gone")
    }

    func testAForgottenPhoneIsLockedOutAtItsNextRequest() throws {
        let service = FakeService()
        let (app, _, folder) = makeApp(service)
        let token = try pair(app, service)
        let hello = WebRequest(method: "GET", path: "/api/hello", headers: ["Cookie": "upturn=" + token])
        XCTAssertEqual(app.handle(hello).bodyText, "{\"paired\": true, \"name\": \"Phone\"}")
        var devices = PairedDevices(path: folder + "/devices.jsonl")
        usleep(20_000)  // a new modification time
        XCTAssertTrue(try devices.forget("Phone"))
        XCTAssertEqual(app.handle(hello).status, 401)
    }

    func testPlansStayInTheirFolderAndAreKeptOnlyWhenTheyCheck() throws {
        let service = FakeService()
        let (app, _, folder) = makeApp(service)
        let token = try pair(app, service)
        for name in ["..%2Fx", "../x", "a.b", "", String(repeating: "a", count: 61), "x y", "ñ"] {
            XCTAssertEqual(app.handle(post("/api/plans/" + name, "{\"text\": \"{}\"}", cookie: token, method: "PUT")).status, 400, name)
            XCTAssertEqual(app.handle(WebRequest(method: "GET", path: "/api/plans/" + name, headers: ["Cookie": "upturn=" + token])).status, 400, name)
        }
        XCTAssertEqual(app.handle(post("/api/plans/core", "{\"text\": \"{}\"}", cookie: token, method: "PUT")).status, 400, "a built-in's name")
        let bad = app.handle(post("/api/plans/mine", "{\"text\": \"{title: 'x', steps: [{hold: 'soon'}]}\"}", cookie: token, method: "PUT"))
        XCTAssertEqual(bad.status, 422)
        XCTAssertTrue(bad.bodyText.contains("\"line\": 1"), bad.bodyText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/plans/mine.json5"), "a plan with problems is not kept")
        // Written files never leave the folder: the only file is the one named.
        let good = app.handle(post("/api/plans/mine", "{\"text\": \"{title: 'Mine', steps: [{say: 'Hello.'}]}\"}", cookie: token, method: "PUT"))
        XCTAssertEqual(good.status, 200, good.bodyText)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/plans"), ["mine.json5"])
        // Started by name: the service is given the file's path.
        XCTAssertEqual(app.handle(post("/api/start", "{\"plan\": \"mine\"}", cookie: token)).status, 200)
        XCTAssertEqual(service.started.last, folder + "/plans/mine.json5")
        XCTAssertEqual(app.handle(post("/api/start", "{\"plan\": \"../../etc/passwd\"}", cookie: token)).status, 400)
        XCTAssertEqual(app.handle(post("/api/start", "{\"plan\": \"today\"}", cookie: token)).status, 200)
        XCTAssertEqual(service.started.last, .some(nil), "today: the service's own choice")
        service.busy = true
        let refused = app.handle(post("/api/start", "{\"plan\": \"core\"}", cookie: token))
        XCTAssertEqual(refused.status, 409)
        XCTAssertTrue(refused.bodyText.contains("is starting or playing"), refused.bodyText)
    }

    func testTheCheckGivesEachProblemItsLineAndColumnAndAGoodPlanItsTimeline() throws {
        let service = FakeService()
        let (app, _, _) = makeApp(service)
        let token = try pair(app, service)
        let checked = app.handle(post("/api/check", "{\"text\": \"{title: 'x',\\n steps: [{tilt: 20, setle: '1s'}]}\"}", cookie: token))
        XCTAssertEqual(checked.status, 200)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(checked.body)) as? [String: Any])
        XCTAssertEqual(object["ok"] as? Bool, false)
        let problem = try XCTUnwrap((object["problems"] as? [[String: Any]])?.first)
        XCTAssertEqual(problem["line"] as? Int, 2)
        XCTAssertEqual(problem["column"] as? Int, 21)
        XCTAssertTrue((problem["message"] as? String ?? "").contains("did you mean 'settle'"), "\(problem)")
    }

    func testSettingsChangeOneKeyAndKeepTheRestOfTheFile() throws {
        let file = temporaryFolder() + "/upturn/settings.json5"
        try Settings.set("volume", to: "70", file: file)
        XCTAssertEqual(try Settings.read(file: file).volume, 70, "made when missing")
        let written = "// mine\n{\n  ceiling: 45, // my knees\n  programs: [\"core\"],\n  alone: false,\n}\n"
        try written.write(toFile: file, atomically: true, encoding: .utf8)
        try Settings.set("alone", to: "true", file: file)
        try Settings.set("ceiling", to: "50", file: file)
        try Settings.set("volume", to: "80", file: file)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertEqual(text, "// mine\n{\n  volume: 80,\n  ceiling: 50, // my knees\n  programs: [\"core\"],\n  alone: true,\n}\n")
        let read = try Settings.read(file: file)
        XCTAssertEqual(read.alone, true)
        XCTAssertEqual(read.rules.ceiling, 50)
        XCTAssertEqual(read.rules.programs, ["core"])
        // A value the settings refuse is put back, with the file and place named.
        XCTAssertThrowsError(try Settings.set("ceiling", to: "95", file: file)) { error in
            XCTAssertTrue("\(error)".contains(file + ":4:12"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), text)
    }

    func testThePageChangesTheSettingsButNotAVolumeGivenOnTheCommandLine() throws {
        let service = FakeService()
        let (app, _, folder) = makeApp(service)
        let token = try pair(app, service)
        func json(_ response: WebResponse) throws -> [String: Any] {
            XCTAssertEqual(response.status, 200, response.bodyText)
            return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        }
        let before = try json(app.handle(WebRequest(method: "GET", path: "/api/settings", headers: ["Cookie": "upturn=" + token])))
        XCTAssertEqual(before["alone"] as? Bool, false)
        XCTAssertEqual(before["volume"] as? Int, 100)
        XCTAssertEqual(before["ceiling"] as? Int, 60)
        XCTAssertEqual(before["device"] as? String, "default")
        XCTAssertEqual((before["devices"] as? [[String: String]])?.map { $0["name"]! }, ["default", "plughw:CARD=USB,DEV=0"])
        XCTAssertEqual(before["pack"] as? String, "en")
        XCTAssertEqual((before["packs"] as? [[String: String]])?.map { $0["name"]! }, ["en", "fr"])
        XCTAssertTrue(before["voice"] is NSNull, "no voice control on this box")
        let changed = try json(
            app.handle(post("/api/settings", "{\"volume\": 60, \"alone\": true, \"device\": \"plughw:CARD=USB,DEV=0\", \"pack\": \"fr\"}", cookie: token, method: "PUT")))
        XCTAssertEqual(changed["volume"] as? Int, 60)
        XCTAssertEqual(changed["device"] as? String, "plughw:CARD=USB,DEV=0")
        XCTAssertEqual(changed["pack"] as? String, "fr")
        let kept = try Settings.read(file: folder + "/settings.json5")
        XCTAssertEqual(kept.volume, 60)
        XCTAssertEqual(kept.device, "plughw:CARD=USB,DEV=0")
        XCTAssertEqual(kept.pack, "fr")
        // A string already in the file is replaced in place.
        _ = try json(app.handle(post("/api/settings", "{\"device\": \"default\"}", cookie: token, method: "PUT")))
        let text = try String(contentsOfFile: folder + "/settings.json5", encoding: .utf8)
        XCTAssertEqual(text.components(separatedBy: "device:").count, 2, text)
        XCTAssertEqual(try Settings.read(file: folder + "/settings.json5").device, "default")
        for bad in [
            "{\"volume\": 101}", "{\"volume\": 5.5}", "{\"alone\": \"yes\"}", "{\"device\": \"hw:9\"}", "{\"pack\": \"../x\"}", "{\"colour\": 1}", "{}",
        ] {
            XCTAssertEqual(app.handle(post("/api/settings", bad, cookie: token, method: "PUT")).status, 400, bad)
        }
        XCTAssertEqual(app.handle(post("/api/settings", "{\"voice_control\": false}", cookie: token, method: "PUT")).status, 409, "no voice control")
        var host = app.host
        host.fixedVolume = 40
        host.fixedDevice = "hw:0"
        host.fixedPack = "de"
        let fixed = WebApp(host: host)
        let fixedToken = try pair(fixed, service)
        for change in ["{\"volume\": 60}", "{\"device\": \"default\"}", "{\"pack\": \"en\"}"] {
            XCTAssertEqual(fixed.handle(post("/api/settings", change, cookie: fixedToken, method: "PUT")).status, 409, change)
        }
        let shown = try json(fixed.handle(WebRequest(method: "GET", path: "/api/settings", headers: ["Cookie": "upturn=" + fixedToken])))
        XCTAssertEqual(shown["volume"] as? Int, 40)
        XCTAssertEqual(shown["volume_fixed"] as? Bool, true)
        XCTAssertEqual(shown["device"] as? String, "hw:0")
        XCTAssertEqual(shown["device_fixed"] as? Bool, true)
        XCTAssertEqual(shown["pack"] as? String, "de")
    }

    /// Every route with made-up requests (a fixed seed: the same every run): methods, paths
    /// with `..`, `%`, NUL and long parts, bodies cut from real ones and mangled. Nothing
    /// crashes, every answer is a status the page knows, nothing unpaired gets past 401, and
    /// the settings still read afterwards.
    func testMadeUpRequestsNeverCrashOrLeakPastPairing() throws {
        let service = FakeService()
        let (plain, _, folder) = makeApp(service)
        var host = plain.host
        host.voice = VoiceGate(device: "mic")
        let app = WebApp(host: host)
        let token = try pair(app, service)
        var random = SplitMix(seed: 21)
        let methods = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "get", ""]
        let parts = [
            "api", "pair", "begin", "control", "sessions", "start", "history", "check", "say", "settings", "voice", "plans", "packs", "cues",
            "audition", "events", "hello", "status", "..", ".", "%2e%2e", "%2F", "a.b", "session.upright", "hold.halfway", "my-voice", "x",
            String(repeating: "a", count: 300), "\u{0}", "é", "", "index.html", "app.js",
        ]
        let bodies = [
            "{\"command\": \"pause\"}", "{\"plan\": \"stretch\"}", "{\"text\": \"hello\"}", "{\"volume\": 50}", "{\"device\": \"default\"}",
            "{\"pack\": \"fr\"}", "{\"voice_control\": true}", "{\"code\": \"123456\", \"name\": \"x\"}", "{title: 'T', steps: [{say: 'Hi.'}]}",
            "{\"key\": \"hold.halfway\"}", "{\"name\": \"p\"}", "[]", "null", "{", "\u{0}\u{1}", "RIFF\u{0}\u{0}WAVEfmt ", "",
        ]
        let routes = [
            ("POST", "/api/pair/begin"), ("POST", "/api/pair"), ("GET", "/api/hello"), ("GET", "/api/status"), ("POST", "/api/control"),
            ("GET", "/api/sessions"), ("POST", "/api/start"), ("GET", "/api/history"), ("POST", "/api/check"), ("POST", "/api/say"),
            ("GET", "/api/settings"), ("PUT", "/api/settings"), ("GET", "/api/voice"), ("GET", "/api/plans"), ("GET", "/api/plans/x"),
            ("PUT", "/api/plans/x"), ("GET", "/api/packs"), ("GET", "/api/packs/my-voice"), ("PUT", "/api/packs/my-voice/cues/hold.halfway"),
            ("POST", "/api/packs/my-voice/check"), ("POST", "/api/packs/my-voice/audition"), ("GET", "/"), ("GET", "/app.js"),
        ]
        let known: Set<Int> = [200, 204, 400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503]
        var answered: [Int: Int] = [:]
        XCTAssertEqual(app.handle(post("/api/packs", "{\"name\": \"my-voice\"}", cookie: token)).status, 200)
        for round in 0..<4000 {
            // A real route, often changed: a part replaced, or one added.
            let route = routes[random.next(routes.count)]
            var segments = route.1.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            switch random.next(4) {
            case 0: segments[1 + random.next(segments.count - 1)] = parts[random.next(parts.count)]
            case 1: segments.append(parts[random.next(parts.count)])
            default: break
            }
            let path = segments.joined(separator: "/")
            var body = Array(bodies[random.next(bodies.count)].utf8)
            if !body.isEmpty && random.next(3) == 0 { body[random.next(body.count)] = UInt8(random.next(256)) }
            if random.next(4) == 0 { body = Array(body.prefix(random.next(body.count + 1))) }
            var headers = ["Host": "box:8080"]
            if random.next(4) != 0 { headers["Origin"] = random.next(3) != 0 ? "http://box:8080" : ["https://box:8080", "http://evil", "null"][random.next(3)] }
            let paired = random.next(3) != 0
            if paired { headers["Cookie"] = "upturn=" + token }
            let request = WebRequest(method: random.next(4) != 0 ? route.0 : methods[random.next(methods.count)], path: path, headers: headers, body: body)
            let response = app.handle(request)
            answered[response.status, default: 0] += 1
            XCTAssertTrue(known.contains(response.status), "round \(round): \(request.method) \(path) -> \(response.status)")
            let open = path.hasPrefix("/api/pair") || !path.hasPrefix("/api/")
            if !paired && !open && response.status == 200 {
                XCTFail("round \(round): unpaired \(request.method) \(path) answered 200")
            }
        }
        XCTAssertGreaterThan(answered[200, default: 0], 300, "the made-up requests reach the routes: \(answered)")
        XCTAssertGreaterThan(answered[400, default: 0], 100, "\(answered)")
        XCTAssertNoThrow(try Settings.read(file: folder + "/settings.json5"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).filter { !["plans", "packs", "settings.json5", "devices.jsonl"].contains($0) }, [],
            "nothing written outside the page's folders")
    }

    func testVoiceControlIsSwitchedFromThePageAndItsLevelShown() throws {
        let service = FakeService()
        let (plain, _, folder) = makeApp(service)
        var host = plain.host
        let gate = VoiceGate(device: "mic")
        host.voice = gate
        let app = WebApp(host: host)
        let token = try pair(app, service)
        let cookie = ["Cookie": "upturn=" + token]
        gate.record(level: -52.25)
        let quiet = app.handle(WebRequest(method: "GET", path: "/api/voice", headers: cookie))
        XCTAssertEqual(quiet.bodyText, "{\"on\": true, \"level\": -52.3, \"quietest\": -40.0, \"too_low\": true}")
        gate.record(level: -20)
        XCTAssertTrue(app.handle(WebRequest(method: "GET", path: "/api/voice", headers: cookie)).bodyText.contains("\"too_low\": false"))
        let off = app.handle(post("/api/settings", "{\"voice_control\": false}", cookie: token, method: "PUT"))
        XCTAssertEqual(off.status, 200, off.bodyText)
        XCTAssertTrue(off.bodyText.contains("\"voice\": {\"device\": \"mic\", \"on\": false"), off.bodyText)
        XCTAssertFalse(gate.isOn, "the listener acts on nothing now")
        XCTAssertEqual(try Settings.read(file: folder + "/settings.json5").voiceControl, false, "and after a restart")
        XCTAssertEqual(plain.handle(WebRequest(method: "GET", path: "/api/voice", headers: cookie)).status, 404, "a box without voice control")
    }

    func testTheEventStreamIsAskedForAndThePageIsSmall() throws {
        let service = FakeService()
        let (app, _, _) = makeApp(service)
        let token = try pair(app, service)
        let events = app.handle(WebRequest(method: "GET", path: "/api/events", headers: ["Cookie": "upturn=" + token]))
        XCTAssertTrue(events.streamsStatus)
        XCTAssertEqual(events.contentType, "text/event-stream")
        XCTAssertLessThan(WebPage.weight, 150_000, "the issue's page weight")
        let page = app.handle(WebRequest(method: "GET", path: "/"))
        XCTAssertFalse(page.bodyText.contains("http://") || page.bodyText.contains("https://"), "nothing from the internet")
    }
}

/// The server itself on a loopback port: what a socket sees.
final class WebServerTests: XCTestCase {
    /// One request on a new connection; what came back within `seconds`.
    static func exchange(_ port: UInt16, _ request: String, seconds: Double = 2, until: String? = nil) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        XCTAssertEqual(connected, 0)
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var answer = [UInt8]()
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 50) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            answer += buffer[0..<n]
            if let until, String(decoding: answer, as: UTF8.self).contains(until) { break }
        }
        return String(decoding: answer, as: UTF8.self)
    }

    func testItAnswersRefusesLargeBodiesAndPushesStatusChanges() throws {
        let board = StatusBoard(idle: .waiting(ServeWaiting(audioReady: true)))
        let folder = temporaryFolder()
        let token = String(repeating: "e", count: 64)
        var devices = PairedDevices(path: folder + "/devices.jsonl")
        _ = try devices.add(name: "Phone", token: token)
        let host = WebHost(
            board: board, queue: ControlQueue(), start: { _ in "ok" }, say: { _, _, _ in true }, log: { _ in }, plansFolder: folder + "/plans",
            devicesPath: folder + "/devices.jsonl")
        let server = try WebServer(app: WebApp(host: host))
        try server.start(try WebAddress.parse("127.0.0.1:0"))
        defer { server.stop() }
        XCTAssertGreaterThan(server.port, 0)

        let page = Self.exchange(server.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        XCTAssertTrue(page.hasPrefix("HTTP/1.1 200"), page)
        XCTAssertTrue(page.contains("Content-Security-Policy: default-src 'self'"), page)
        XCTAssertTrue(Self.exchange(server.port, "GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").hasPrefix("HTTP/1.1 401"))
        // A body announced over the limit is refused before it is sent.
        let large = Self.exchange(
            server.port, "PUT /api/plans/x HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nCookie: upturn=\(token)\r\nContent-Length: 104857600\r\n\r\n")
        XCTAssertTrue(large.hasPrefix("HTTP/1.1 413"), large)

        // The event stream: the status at once, then each change as the board publishes it.
        final class Received: @unchecked Sendable {
            // @unchecked: written by the reader before `done` is signalled, read after.
            var text = ""
        }
        let received = Received()
        let done = DispatchSemaphore(value: 0)
        let port = server.port
        Thread.detachNewThread {
            received.text = WebServerTests.exchange(
                port, "GET /api/events HTTP/1.1\r\nHost: x\r\nCookie: upturn=\(token)\r\n\r\n", seconds: 5, until: "\"state\": \"playing\"")
            done.signal()
        }
        usleep(300_000)
        var snapshot = PlayerSnapshot()
        snapshot.title = "Hold"
        snapshot.inverted = true
        board.publish(snapshot)
        XCTAssertEqual(done.wait(timeout: .now() + 6), .success)
        let text = received.text
        XCTAssertTrue(text.contains("Content-Type: text/event-stream"), text)
        XCTAssertTrue(text.contains("data: {\"state\": \"waiting\""), text)
        XCTAssertTrue(text.contains("data: {\"state\": \"playing\""), text)
        XCTAssertTrue(text.contains("\"inverted\": true"), text)
    }

    /// Runs a tool; its standard output, and its exit status.
    static func tool(_ path: String, _ arguments: [String]) throws -> (String, Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), process.terminationStatus)
    }

    func testWithACertificateItSpeaksHTTPSAndRefusesAKeyThatDoesNotMatch() throws {
        let folder = temporaryFolder()
        for name in ["a", "b"] {
            let (_, status) = try Self.tool(
                "/usr/bin/openssl",
                ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=upturn.local",
                 "-keyout", "\(folder)/\(name).key", "-out", "\(folder)/\(name).pem"])
            XCTAssertEqual(status, 0, "openssl (Scripts/setup --test installs it)")
        }
        let tls = try WebTLS.load(certificate: folder + "/a.pem", key: folder + "/a.key")
        let host = WebHost(
            board: StatusBoard(idle: .waiting(ServeWaiting(audioReady: true))), queue: ControlQueue(), start: { _ in "ok" }, say: { _, _, _ in true },
            log: { _ in }, plansFolder: folder + "/plans", devicesPath: folder + "/devices.jsonl")
        let server = try WebServer(app: WebApp(host: host))
        try server.start(try WebAddress.parse("127.0.0.1:0"), tls: tls)
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/"
        let (page, status) = try Self.tool("/usr/bin/curl", ["-sk", "--max-time", "5", "-w", "%{http_code} %{scheme}", "-o", "/dev/null", url])
        XCTAssertEqual(status, 0)
        XCTAssertEqual(page, "200 HTTPS")
        let (_, unverified) = try Self.tool("/usr/bin/curl", ["-s", "--max-time", "5", "-o", "/dev/null", url])
        XCTAssertEqual(unverified, 60, "curl trusts no self-signed certificate: this is TLS, not plain HTTP")
        let plain = Self.exchange(server.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", seconds: 2)
        XCTAssertFalse(plain.hasPrefix("HTTP/1.1 200"), "plain HTTP on the TLS port")

        let mismatched = try WebServer(app: WebApp(host: host))
        XCTAssertThrowsError(try mismatched.start(try WebAddress.parse("127.0.0.1:0"), tls: WebTLS(certificate: tls.certificate, key: try WebTLS.load(certificate: folder + "/b.pem", key: folder + "/b.key").key))) { error in
            XCTAssertEqual((error as? UpturnError)?.code, .unavailable)
            XCTAssertTrue("\(error)".contains("do --web-cert and --web-key not match"), "\(error)")
        }
    }
}

/// A small deterministic generator (SplitMix64) for made-up requests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(max(1, bound)))
    }
}
