import Foundation
import Synchronization
import XCTest

@testable import UpturnKit

final class ControlSourceTests: XCTestCase {
    /// Waits until the queue has `count` commands, or a second has passed.
    func collect(_ queue: ControlQueue, count: Int, seconds: Double = 3) -> [ControlCommand] {
        var got: [ControlCommand] = []
        let deadline = Date().addingTimeInterval(seconds)
        while got.count < count && Date() < deadline {
            queue.wait(milliseconds: 50)
            got += queue.take()
        }
        return got
    }

    func testPressInterpreter() {
        var p = PressInterpreter()
        XCTAssertEqual(p.button(1, pressed: true, at: 0, command: .toggle, longCommand: .stop), [])
        XCTAssertEqual(p.button(1, pressed: false, at: 0.3, command: .toggle, longCommand: .stop), [.toggle])
        XCTAssertEqual(p.button(1, pressed: true, at: 1, command: .toggle, longCommand: .stop), [])
        XCTAssertEqual(p.tick(at: 2, longCommand: { _ in .stop }), [])
        XCTAssertEqual(p.nextDeadline(from: 2)!, 0.5, accuracy: 1e-9)
        XCTAssertEqual(p.tick(at: 2.6, longCommand: { _ in .stop }), [.stop])
        XCTAssertEqual(p.tick(at: 3, longCommand: { _ in .stop }), [])
        XCTAssertEqual(p.button(1, pressed: false, at: 4, command: .toggle, longCommand: .stop), [], "a long press fires once")
        XCTAssertEqual(p.button(2, pressed: true, at: 5, command: .skip, longCommand: nil), [])
        XCTAssertEqual(p.button(2, pressed: false, at: 9, command: .skip, longCommand: nil), [.skip])
    }

    /// The shell's completion of `--controls` is the table's.
    func testTheCompletionListsEveryControlWord() throws {
        let root = PathText.parent(PathText.parent(PathText.parent(#filePath)))
        let script = try String(contentsOfFile: root + "/Scripts/completion/upturn.bash", encoding: .utf8)
        let line = try XCTUnwrap(script.split(separator: "\n").first { $0.contains("--controls) COMPREPLY") })
        let quoted = try XCTUnwrap(line.split(separator: "\"").dropFirst().first)
        XCTAssertEqual(quoted.split(separator: " ").map(String.init), ControlSpec.completionWords)
        // And every plain word parses to its spec.
        for entry in ControlSpec.table { if let plain = entry.plain { XCTAssertEqual(try ControlSpec.parse(plain.word), [plain.spec]) } }
    }

    /// `--device` is read in one place: `wav:FILE` is a file, anything else an ALSA name.
    func testDeviceNamesAreReadByAudioOutput() {
        XCTAssertEqual(AudioOutput.Target.parse(nil), .device("default"))
        XCTAssertEqual(AudioOutput.Target.parse("hw:1,0"), .device("hw:1,0"))
        XCTAssertEqual(AudioOutput.Target.parse("file:FILE=/tmp/x.raw,FORMAT=raw"), .device("file:FILE=/tmp/x.raw,FORMAT=raw"), "ALSA's file plugin")
        XCTAssertEqual(AudioOutput.Target.parse("wav:/tmp/x.wav"), .file("/tmp/x.wav"))
        XCTAssertEqual(AudioOutput.Target.parse("wav:"), .device("wav:"))
        XCTAssertEqual(AudioOutput.target(device: "wav:a.wav", output: nil), .file("a.wav"))
        XCTAssertEqual(AudioOutput.target(device: "hw:0", output: "b.wav"), .file("b.wav"))
    }

    func testKeyboardKeys() {
        XCTAssertEqual(KeyboardControl.commands(in: Array(" nbq".utf8)), [.toggle, .skip, .back, .stop])
        XCTAssertEqual(KeyboardControl.commands(in: [0x1B]), [.stop])
        XCTAssertEqual(KeyboardControl.commands(in: [0x1B, 0x5B, 0x43, 0x1B, 0x5B, 0x44]), [.skip, .back], "arrows")
        XCTAssertEqual(KeyboardControl.commands(in: Array("xyz".utf8)), [])
    }

    func testControlSpecs() throws {
        XCTAssertEqual(try ControlSpec.parse("keyboard,socket"), [.keyboard, .socket])
        XCTAssertEqual(try ControlSpec.parse("gpio:gpiochip0:17,27,evdev:/dev/input/event3"), [.gpio(chip: "gpiochip0", lines: [17, 27]), .evdev(path: "/dev/input/event3")])
        XCTAssertEqual(try ControlSpec.parse("none"), [])
        // ALSA names hold commas (issue 18: 64 "unknown control '0'").
        XCTAssertEqual(try ControlSpec.parse("voice:plughw:1,0"), [.voice(device: "plughw:1,0")])
        XCTAssertEqual(try ControlSpec.parse("socket,voice:hw:CARD=Mic,DEV=0,keyboard"), [.socket, .voice(device: "hw:CARD=Mic,DEV=0"), .keyboard])
        XCTAssertEqual(try ControlSpec.parse("socket,voice=plug:'dmix:1,0'"), [.socket, .voice(device: "plug:'dmix:1,0'")])
        XCTAssertEqual(try ControlSpec.parse("voice=a,b,c"), [.voice(device: "a,b,c")])
        XCTAssertThrowsError(try ControlSpec.parse("socket,voice=")) { error in
            XCTAssertEqual((error as! UpturnError).code, .usage)
        }
        XCTAssertThrowsError(try ControlSpec.parse("voice:mic,keybord")) { error in
            XCTAssertTrue("\(error)".contains("unknown control 'keybord'"), "\(error)")
        }
        XCTAssertEqual(try ControlSpec.parse("evdev:auto"), [.evdevAuto])
        for bad in ["keybaord", "gpio:17", "pedal", "evdev:"] {
            XCTAssertThrowsError(try ControlSpec.parse(bad), bad) { error in
                XCTAssertEqual((error as! UpturnError).code, .usage)
            }
        }
        XCTAssertThrowsError(try ControlSpec.parse("keybaord")) { error in
            XCTAssertTrue((error as! UpturnError).description.contains("did you mean 'keyboard'"))
        }
    }

    func testKeyMapFile() throws {
        let folder = temporaryFolder()
        let good = folder + "/keys.json5"
        try "{skip: ['KEY_VOLUMEUP', 115], toggle: ['KEY_F5']}".write(toFile: good, atomically: true, encoding: .utf8)
        let map = try ControlSpec.keyMap(file: good)
        XCTAssertEqual(map[115], .skip)
        XCTAssertEqual(map[63], .toggle)
        XCTAssertNil(map[109], "skip's default keys are replaced")
        XCTAssertEqual(map[1], .stop, "other commands keep their keys")
        let bad = folder + "/bad.json5"
        try "{skip: ['KEY_PAGEDWON'], jump: [1]}".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ControlSpec.keyMap(file: bad)) { error in
            let e = error as! UpturnError
            XCTAssertEqual(e.code, .dataError)
            XCTAssertTrue(e.description.contains("bad.json5:1:26: unknown key 'jump' in a key map"), e.description)
            XCTAssertTrue(e.description.contains("bad.json5:1:9: skip: unknown key 'KEY_PAGEDWON' (did you mean 'KEY_PAGEDOWN'"), e.description)
        }
    }

    func testEvdevRecordsThroughAFIFO() throws {
        let fifo = temporaryFolder() + "/pedal"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let queue = ControlQueue()
        let pedal = EvdevControl(path: fifo)
        try pedal.start(queue)
        defer { pedal.stop() }
        let writer = open(fifo, O_WRONLY)
        XCTAssertGreaterThanOrEqual(writer, 0)
        defer { close(writer) }
        func send(_ code: UInt16, _ value: Int32) {
            let bytes = EvdevControl.record(code: code, value: value) + EvdevControl.record(type: 0, code: 0, value: 0)
            _ = bytes.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
        }
        send(109, 1); send(109, 0)  // Page Down: skip
        send(104, 1); send(104, 2); send(104, 0)  // Page Up (with a repeat): back
        send(57, 1); send(57, 0)  // Space: toggle
        XCTAssertEqual(collect(queue, count: 3), [.skip, .back, .toggle])
        send(57, 1)  // held...
        XCTAssertEqual(collect(queue, count: 1, seconds: 2.5), [.stop], "holding toggle 1.5 s stops")
        send(57, 0)
        // Bluetooth headphones' buttons as BlueZ sends them (AVRCP): pause, then play.
        send(201, 1); send(201, 0)
        send(200, 1); send(200, 0)
        XCTAssertEqual(collect(queue, count: 2), [.pause, .resume])
        let keys = temporaryFolder() + "/keys.json5"
        FileManager.default.createFile(atPath: keys, contents: Data("{pause: ['KEY_PAUSECD'], resume: ['KEY_PLAYCD']}".utf8))
        XCTAssertEqual(try ControlSpec.keyMap(file: keys)[201], .pause, "the AVRCP keys have names")
        send(30, 1); send(30, 0)  // 'A': not mapped
        XCTAssertEqual(collect(queue, count: 1, seconds: 0.5), [])
        try assertSleepsUntilStopped("upturn-evdev", pedal)
    }

    /// A pedal pulled out (its device node gone) is waited for and read again when it is
    /// back, with one line each way; `serve` also waits for a pedal not plugged in at the start.
    func testAPulledPedalIsReadAgainWhenItIsBack() throws {
        let fifo = temporaryFolder() + "/pedal"
        let heard = Mutex<[String]>([])
        let queue = ControlQueue()
        let pedal = EvdevControl(path: fifo)
        pedal.report = { line in heard.withLock { $0.append(line) } }
        pedal.waitsForDevice = true
        try pedal.start(queue)  // not there yet
        defer { pedal.stop() }
        XCTAssertEqual(heard.withLock { $0 }, ["evdev:\(fifo): not plugged in; waiting for it"])
        /// Plugs the pedal in (a FIFO) and presses a key once the pedal thread reads it.
        func plugInAndPress(_ code: UInt16) -> Int32 {
            XCTAssertEqual(mkfifo(fifo, 0o600), 0)
            var writer: Int32 = -1
            for _ in 0..<300 where writer < 0 {
                writer = open(fifo, O_WRONLY | O_NONBLOCK)  // ENXIO until the reader opened it
                if writer < 0 { usleep(10_000) }
            }
            XCTAssertGreaterThanOrEqual(writer, 0, "the pedal was not opened again")
            let bytes = EvdevControl.record(code: code, value: 1) + EvdevControl.record(code: code, value: 0)
            _ = bytes.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
            return writer
        }
        var writer = plugInAndPress(109)
        XCTAssertEqual(collect(queue, count: 1), [.skip])
        // Pulled out: the node goes, the reader sees the end.
        unlink(fifo)
        close(writer)
        for _ in 0..<300 where heard.withLock({ $0.count }) < 3 { usleep(10_000) }
        XCTAssertEqual(heard.withLock { Array($0.dropFirst()) }, ["evdev:\(fifo): plugged in", "evdev:\(fifo): unplugged; waiting for it"])
        writer = plugInAndPress(57)
        defer { close(writer) }
        XCTAssertEqual(collect(queue, count: 1), [.toggle])
        XCTAssertEqual(heard.withLock { $0.last }, "evdev:\(fifo): plugged in again")
        // Without waitsForDevice (play), a pedal that is not there is an error at the start.
        XCTAssertThrowsError(try EvdevControl(path: fifo + "-none").start(ControlQueue())) { error in
            XCTAssertEqual((error as! UpturnError).code, .noInput)
        }
    }

    /// `evdev:auto` with no input device: an error for `play`; `serve` waits for one.
    func testEvdevAutoWithNoDeviceWaitsInServeAndIsAnErrorInPlay() throws {
        guard EvdevControl.keyboards().isEmpty else { throw XCTSkip("this machine has input devices with keys") }
        XCTAssertThrowsError(try ControlSpec.evdevAuto.source(keyMap: [:], socketPath: "", board: StatusBoard()).start(ControlQueue())) { error in
            XCTAssertEqual((error as! UpturnError).code, .noInput)
            XCTAssertEqual((error as! UpturnError).problems, ["evdev:auto: no input device with keys in /dev/input"])
        }
        let heard = Mutex<[String]>([])
        let waiting = try ControlSpec.evdevAuto.source(
            keyMap: [:], socketPath: "", board: StatusBoard(), report: { line in heard.withLock { $0.append(line) } }, waitForDevices: true)
        try waiting.start(ControlQueue())
        defer { waiting.stop() }
        XCTAssertEqual(heard.withLock { $0 }, ["evdev:auto: not plugged in; waiting for it"])
        try assertSleepsUntilStopped("upturn-evdev", waiting, looksOncePerSecond: true)
    }

    func testEvdevErrors() {
        XCTAssertThrowsError(try EvdevControl(path: "/dev/input/event99").start(ControlQueue())) { error in
            XCTAssertEqual((error as! UpturnError).code, .noInput)
            XCTAssertTrue((error as! UpturnError).description.hasPrefix("evdev:/dev/input/event99: no such input device"))
        }
        XCTAssertThrowsError(try EvdevControl(path: "/dev/null").start(ControlQueue())) { error in
            XCTAssertEqual((error as! UpturnError).code, .unavailable)
            XCTAssertTrue((error as! UpturnError).description.contains("not an input device"))
        }
    }

    func testGPIORequestLayoutAndEvents() {
        let request = GPIOChardevLines.request(lines: [17, 27])
        XCTAssertEqual(request.count, 592)
        XCTAssertEqual(GPIOChardevLines.load(UInt32.self, request, at: 0), 17)
        XCTAssertEqual(GPIOChardevLines.load(UInt32.self, request, at: 4), 27)
        XCTAssertEqual(String(decoding: request[256..<262], as: UTF8.self), "upturn")
        XCTAssertEqual(GPIOChardevLines.load(UInt64.self, request, at: 288), (1 << 2) | (1 << 4) | (1 << 5) | (1 << 8))
        XCTAssertEqual(GPIOChardevLines.load(UInt32.self, request, at: 296), 1)
        XCTAssertEqual(GPIOChardevLines.load(UInt32.self, request, at: 320), 3)
        XCTAssertEqual(GPIOChardevLines.load(UInt32.self, request, at: 328), 10_000)
        XCTAssertEqual(GPIOChardevLines.load(UInt64.self, request, at: 336), 3)
        XCTAssertEqual(GPIOChardevLines.load(UInt32.self, request, at: 560), 2)
        var event = [UInt8](repeating: 0, count: 48)
        GPIOChardevLines.store(UInt64(2_500_000_000), in: &event, at: 0)
        GPIOChardevLines.store(UInt32(2), in: &event, at: 8)
        GPIOChardevLines.store(UInt32(17), in: &event, at: 12)
        XCTAssertEqual(GPIOChardevLines.edges(in: event), [ButtonEdge(line: 17, pressed: true, time: 2.5)])
    }

    func testGPIOErrors() {
        XCTAssertThrowsError(try GPIOChardevLines(chip: "gpiochip9", lines: [17])) { error in
            XCTAssertEqual((error as! UpturnError).code, .noInput)
            XCTAssertTrue((error as! UpturnError).description.contains("no GPIO chip at /dev/gpiochip9"))
        }
        XCTAssertThrowsError(try GPIOChardevLines(chip: "0", lines: [])) { error in
            XCTAssertEqual((error as! UpturnError).code, .usage)
        }
    }

    func testGPIOButtonsThroughFakeLines() throws {
        let queue = ControlQueue()
        let fake = FakeButtonLines(lines: [17, 27])
        let gpio = GPIOControl(open: { () throws(UpturnError) in fake })
        try gpio.start(queue)
        defer { gpio.stop() }
        let now = MonotonicClock.now
        fake.push([ButtonEdge(line: 17, pressed: true, time: now), ButtonEdge(line: 17, pressed: false, time: now + 0.2),
                   ButtonEdge(line: 27, pressed: true, time: now + 0.3), ButtonEdge(line: 27, pressed: false, time: now + 0.4)])
        XCTAssertEqual(collect(queue, count: 2), [.toggle, .skip])
        fake.push([ButtonEdge(line: 17, pressed: true, time: MonotonicClock.now)])
        XCTAssertEqual(collect(queue, count: 1, seconds: 2.5), [.stop])
    }

    func testControlSocket() throws {
        let path = temporaryFolder() + "/control.sock"
        let queue = ControlQueue()
        let socket = ControlSocket(path: path, status: { "{\"step\": 3}" })
        try socket.start(queue)
        var mode = stat()
        stat(path, &mode)
        XCTAssertEqual(mode.st_mode & 0o777, 0o600)
        XCTAssertEqual(try ControlSocket.send("pause", to: path), "ok")
        XCTAssertEqual(try ControlSocket.send("skip", to: path), "ok")
        XCTAssertEqual(try ControlSocket.send("status", to: path), "{\"step\": 3}")
        XCTAssertTrue(try ControlSocket.send("jump", to: path).hasPrefix("error: unknown command 'jump'"))
        XCTAssertEqual(collect(queue, count: 2), [.pause, .skip])
        // A live socket is not stolen.
        XCTAssertThrowsError(try ControlSocket(path: path, status: { "" }).start(ControlQueue())) { error in
            XCTAssertEqual((error as! UpturnError).code, .unavailable)
            XCTAssertTrue((error as! UpturnError).description.contains("another player"))
        }
        socket.stop()
        XCTAssertThrowsError(try ControlSocket.send("pause", to: path)) { error in
            XCTAssertEqual((error as! UpturnError).code, .unavailable)
            XCTAssertTrue((error as! UpturnError).description.contains("no player is running"))
        }
    }

    /// The kernel's id of this process's thread with that name.
    func thread(named name: String) -> String? {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.first { (try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8))?.hasPrefix(name) == true }
    }

    /// How many times a thread has gone to sleep.
    func sleeps(_ task: String) -> Int? {
        let status = (try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches:") }
        return line.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
    }

    /// An input thread with no input sleeps until input or `stop()` comes (the threads used to
    /// wake five times a second: `serve` waits for a press all day), and `stop()` ends it.
    func assertSleepsUntilStopped(
        _ name: String, _ source: any ControlSource, looksOncePerSecond: Bool = false, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        var found: String?
        for _ in 0..<100 where found == nil {
            found = thread(named: name)
            if found == nil { usleep(10_000) }
        }
        let task = try XCTUnwrap(found, "no thread named \(name)", file: file, line: line)
        usleep(200_000)  // done with the last input
        let before = try XCTUnwrap(sleeps(task), file: file, line: line)
        usleep(1_200_000)
        // Waiting for a device to come, it looks once a second; else it does not wake at all.
        let allowed = looksOncePerSecond ? 2 : 0
        XCTAssertLessThanOrEqual(try XCTUnwrap(sleeps(task), file: file, line: line) - before, allowed, "the idle \(name) thread woke up", file: file, line: line)
        source.stop()
        var ended = false
        for _ in 0..<100 where !ended {
            ended = thread(named: name) == nil
            if !ended { usleep(10_000) }
        }
        XCTAssertTrue(ended, "the \(name) thread did not end after stop()", file: file, line: line)
    }

    func testAnIdleSocketThreadSleepsAndStopEndsIt() throws {
        let path = temporaryFolder() + "/control.sock"
        let socket = ControlSocket(path: path, status: { "{}" })
        try socket.start(ControlQueue())
        XCTAssertEqual(try ControlSocket.send("status", to: path), "{}")
        try assertSleepsUntilStopped("upturn-socket", socket)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testAStaleSocketIsReplaced() throws {
        let path = temporaryFolder() + "/control.sock"
        // A socket file whose player died: bound, then closed without unlinking.
        var address = try ControlSocket.address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(fd)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        let queue = ControlQueue()
        let socket = ControlSocket(path: path, status: { "{}" })
        try socket.start(queue)
        defer { socket.stop() }
        XCTAssertEqual(try ControlSocket.send("toggle", to: path), "ok")
    }
}

/// Button lines fed by the test.
final class FakeButtonLines: ButtonLines, @unchecked Sendable {
    let lines: [Int]
    private let pending = NSLock()
    private var edgesQueued: [ButtonEdge] = []
    init(lines: [Int]) { self.lines = lines }
    func push(_ edges: [ButtonEdge]) {
        pending.lock()
        edgesQueued += edges
        pending.unlock()
    }
    func edges(waiting milliseconds: Int32, wake: WakePipe) -> [ButtonEdge] {
        pending.lock()
        let out = edgesQueued
        edgesQueued = []
        pending.unlock()
        if out.isEmpty {
            // Looks for pushed edges every 50 ms; a wake ends the wait at once.
            var fds = [wake.pollEntry]
            _ = poll(&fds, 1, milliseconds < 0 ? 50 : min(milliseconds, 50))
        }
        return out
    }
    func close() {}
}

/// GPIO buttons (through fake lines: there is no GPIO chip here) driving a real session on
/// the PulseAudio bed through ALSA's pulse plugin.
final class GPIOOnPulseTests: XCTestCase {
    func testButtonsDriveARealSession() throws {
        let env = ProcessInfo.processInfo.environment
        guard let runtime = env["UPTURN_TEST_PULSE_RUNTIME"] else {
            if env["UPTURN_TEST_REQUIRE_BEDS"] == "1" { XCTFail("the PulseAudio bed is not running") }
            throw XCTSkip("no PulseAudio bed; run Scripts/test")
        }
        setenv("XDG_RUNTIME_DIR", runtime, 1)
        let clips = FakeClips()
        let timeline = try compile("{title: 'G', steps: [{rest: '1m'}, {rest: '1m'}]}", clips: clips)
        let sink = try ALSASink(device: "pulse", rate: 48_000)
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let player = Player(timeline: timeline, clips: clips, sink: sink, controls: queue)
        let fake = FakeButtonLines(lines: [17, 27])
        let gpio = GPIOControl(open: { () throws(UpturnError) in fake })
        try gpio.start(queue)
        defer { gpio.stop() }
        let box = UncheckedBox(player)
        let done = DispatchSemaphore(value: 0)
        let outcome = UncheckedBox<Player.Outcome?>(nil)
        Thread {
            outcome.value = try? box.value.play()
            done.signal()
        }.start()
        func step() -> Int { player.snapshot.withLock { $0.step } }
        func waitFor(_ what: String, _ condition: () -> Bool) {
            let deadline = Date().addingTimeInterval(15)
            while !condition() && Date() < deadline { usleep(50_000) }
            XCTAssertTrue(condition(), what)
        }
        waitFor("step 1") { step() == 1 }
        let now = MonotonicClock.now
        fake.push([ButtonEdge(line: 27, pressed: true, time: now), ButtonEdge(line: 27, pressed: false, time: now + 0.1)])
        waitFor("the second button skips") { step() == 2 }
        fake.push([ButtonEdge(line: 17, pressed: true, time: MonotonicClock.now)])
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "holding the first button did not stop")
        XCTAssertEqual(outcome.value, .stopped)
    }
}

final class UncheckedBox<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }

    /// The socket's default folder is this user's alone: made with mode 0700, and one that
    /// another user made first (or that others may enter) is refused, never trusted.
    func testTheSocketsFolderIsRefusedWhenOthersCanReachIt() throws {
        let base = temporaryFolder()
        let fresh = base + "/fresh"
        try SocketFolder.prepare(fresh, isDefault: true)
        XCTAssertEqual(try SystemCall.fileStatus(fresh).st_mode & 0o777, 0o700)
        let open = base + "/open"
        mkdir(open, 0o777)
        chmod(open, 0o777)
        XCTAssertThrowsError(try SocketFolder.prepare(open, isDefault: true)) { error in
            XCTAssertEqual((error as! UpturnError).code, .unavailable)
            XCTAssertTrue("\(error)".contains("others may use it (mode 777)"), "\(error)")
        }
        let theirs = base + "/theirs"
        mkdir(theirs, 0o700)
        chown(theirs, 65534, 65534)
        XCTAssertThrowsError(try SocketFolder.prepare(theirs, isDefault: true)) { error in
            XCTAssertTrue("\(error)".contains("belongs to user 65534"), "\(error)")
        }
        let link = base + "/link"
        symlink(fresh, link)
        XCTAssertThrowsError(try SocketFolder.prepare(link, isDefault: true)) { error in
            XCTAssertTrue("\(error)".contains("not a folder"), "\(error)")
        }
        // A folder named with --socket: others may not write in it, unless it is sticky (/tmp).
        XCTAssertThrowsError(try SocketFolder.prepare(open, isDefault: false))
        chmod(open, 0o1777)
        XCTAssertNoThrow(try SocketFolder.prepare(open, isDefault: false))
    }

    /// A request too long for the player is an error at the client with a reason, never a
    /// silent exit 0 (issue 18: `ctl start` with a 4.6 KB name printed nothing).
    func testATooLongRequestIsAnErrorWithAReason() throws {
        let path = temporaryFolder() + "/control.sock"
        // Made as the service makes it: the start capability given, no cast.
        let socket = try ControlSpec.socket.source(keyMap: [:], socketPath: path, board: StatusBoard(), starter: { plan in "started \(plan ?? "today")" })
        try socket.start(ControlQueue())
        defer { socket.stop() }
        XCTAssertEqual(try ControlSocket.send("start core", to: path), "started core")
        XCTAssertEqual(try ControlSocket.send("start", to: path), "started today")
        let long = "start " + String(repeating: "a", count: 4600)
        XCTAssertThrowsError(try ControlSocket.send(long, to: path)) { error in
            XCTAssertEqual((error as! UpturnError).code, .usage)
            XCTAssertTrue("\(error)".contains("at most 4095"), "\(error)")
        }
        // A client that sends it anyway is told why before it is let go.
        let fd = try XCTUnwrap(try ControlSocket.connect(path))
        defer { SystemCall.close(fd) }
        _ = try? SystemCall.send(fd, Array((long + "\n").utf8))
        var reply = [UInt8](repeating: 0, count: 256)
        XCTAssertTrue(SystemCall.waitReadable(fd, milliseconds: 3000))
        let n = (try? SystemCall.read(fd, into: &reply)) ?? 0
        XCTAssertEqual(String(decoding: reply[..<n], as: UTF8.self), "error: a request is at most 4096 bytes\n")
        XCTAssertEqual(try ControlSocket.send("start " + String(repeating: "b", count: 4000), to: path), "ok")
    }

    func testAnEmptySocketPathIsRefused() throws {
        XCTAssertThrowsError(try ControlSocket(path: "", status: { "" }).start(ControlQueue())) { error in
            XCTAssertEqual((error as! UpturnError).code, .usage)
        }
        XCTAssertThrowsError(try ControlSocket.send("stop", to: "")) { error in
            XCTAssertEqual((error as! UpturnError).code, .usage)
        }
    }

    /// A link at the socket's path (dangling, or to a file) is replaced without being
    /// followed; a file that is not a socket is not ours to remove.
    func testALinkAtTheSocketsPathIsReplacedAndAFileIsLeftAlone() throws {
        let folder = temporaryFolder()
        let path = folder + "/control.sock"
        symlink(folder + "/nowhere", path)
        let socket = ControlSocket(path: path, status: { "{}" })
        try socket.start(ControlQueue())
        XCTAssertEqual(try SystemCall.linkStatus(path).st_mode & S_IFMT, S_IFSOCK)
        XCTAssertEqual(try ControlSocket.send("status", to: path), "{}")
        socket.stop()
        let kept = folder + "/notes.txt"
        FileManager.default.createFile(atPath: kept, contents: Data("mine".utf8))
        symlink(kept, path)
        let again = ControlSocket(path: path, status: { "{}" })
        try again.start(ControlQueue())
        again.stop()
        XCTAssertEqual(try String(contentsOfFile: kept, encoding: .utf8), "mine", "the link's target was not touched")
        FileManager.default.createFile(atPath: path, contents: Data("a file".utf8))
        XCTAssertThrowsError(try ControlSocket(path: path, status: { "" }).start(ControlQueue())) { error in
            XCTAssertTrue("\(error)".contains("is not a socket"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "a file")
    }

    /// Clients that never read, dribble a byte at a time or just sit there do not hold up a
    /// `stop`: every client is served side by side, with a deadline.
    func testSlowClientsDoNotHoldUpAStop() throws {
        let path = temporaryFolder() + "/control.sock"
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let socket = ControlSocket(path: path, status: { String(repeating: "x", count: 200) })
        try socket.start(queue)
        defer { socket.stop() }
        var idle: [Int32] = []
        for _ in 0..<20 { idle.append(try XCTUnwrap(try ControlSocket.connect(path))) }
        // One that asks for the status again and again and never reads the answers.
        let greedy = try XCTUnwrap(try ControlSocket.connect(path))
        for _ in 0..<2000 { _ = try? SystemCall.sendNow(greedy, Array("status\n".utf8)) }
        // One that sends half a line and nothing more.
        let dribbler = try XCTUnwrap(try ControlSocket.connect(path))
        _ = try? SystemCall.sendNow(dribbler, Array("pau".utf8))
        defer { (idle + [greedy, dribbler]).forEach { SystemCall.close($0) } }
        let started = MonotonicClock.now
        XCTAssertEqual(try ControlSocket.send("stop", to: path), "ok")
        XCTAssertLessThan(MonotonicClock.now - started, 1.0, "it took 30 s before")
        XCTAssertEqual(queue.take(), [.stop])
    }
}

/// MPRIS's view of the status (issue 18: "Playing" with an empty title for the first seconds).
final class MPRISStatusTests: XCTestCase {
    func testStoppedWithNoMetadataUntilTheFirstStep() {
        var snapshot = PlayerSnapshot()
        let before = MPRISStatus(.playing(snapshot))
        XCTAssertEqual(before.playbackStatus, "Stopped")
        XCTAssertEqual(before.title, "")
        // The welcome is step 0 of a laid-out session: it plays (CI: a widget saw "Stopped"
        // and playerctl could not pause through a long welcome).
        snapshot.steps = 4
        snapshot.title = "Welcome"
        XCTAssertEqual(MPRISStatus(.playing(snapshot)).playbackStatus, "Playing")
        snapshot.step = 1
        snapshot.title = "Tilt back"
        let playing = MPRISStatus(.playing(snapshot))
        XCTAssertEqual(playing.playbackStatus, "Playing")
        XCTAssertEqual(playing.title, "Tilt back")
        XCTAssertEqual(MPRISStatus(.waiting(ServeWaiting(audioReady: true))).playbackStatus, "Stopped")
    }
}
