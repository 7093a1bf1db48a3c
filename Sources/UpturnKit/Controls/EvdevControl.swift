import Foundation
import Synchronization

/// Linux input devices as remotes: USB foot pedals, presenter clickers, Bluetooth remotes,
/// media keys, read as `struct input_event` records from `/dev/input/event*`.
/// Holding the toggle key 1.5 s is `stop`.
public final class EvdevControl: ControlSource, @unchecked Sendable {
    // @unchecked: the settings are set before start(); then only the reading thread touches
    // its state, and stop() only wakes it (WakePipe is Sendable).
    /// The device, or "auto": the first event device with keys, chosen each time one is opened.
    public let path: String
    public let keyMap: [Int: ControlCommand]
    /// Where a pedal's coming and going is told, one line each ("evdev:PATH: unplugged;
    /// waiting for it"). A pulled pedal is reopened, once a second, until it is back.
    public var report: (@Sendable (String) -> Void)?
    /// When true (`serve`), a device that is not plugged in at the start is waited for
    /// instead of being an error.
    public var waitsForDevice = false
    private var wake: WakePipe?
    private var thread: Thread?

    static let EV_KEY: UInt16 = 1

    /// Key codes from linux/input-event-codes.h, by name, for key map files.
    public static let keyNames: [String: Int] = [
        "KEY_ESC": 1, "KEY_ENTER": 28, "KEY_SPACE": 57, "KEY_B": 48, "KEY_N": 49, "KEY_P": 25, "KEY_Q": 16,
        "KEY_PAGEUP": 104, "KEY_LEFT": 105, "KEY_RIGHT": 106, "KEY_PAGEDOWN": 109, "KEY_UP": 103, "KEY_DOWN": 108,
        "KEY_STOP": 128, "KEY_NEXTSONG": 163, "KEY_PLAYPAUSE": 164, "KEY_PREVIOUSSONG": 165, "KEY_STOPCD": 166,
        "KEY_PLAY": 207, "KEY_PAUSE": 119, "KEY_PLAYCD": 200, "KEY_PAUSECD": 201, "KEY_KPENTER": 96, "KEY_F5": 63, "KEY_DOT": 52, "KEY_VOLUMEUP": 115,
        "KEY_VOLUMEDOWN": 114, "BTN_LEFT": 0x110, "BTN_RIGHT": 0x111, "BTN_0": 0x100, "BTN_1": 0x101,
    ]

    /// Page Down/Right/Next → skip; Page Up/Left/Previous → back; Space/Enter/Play-Pause/B →
    /// toggle; Escape/Stop → stop.
    public static let defaultKeyMap: [Int: ControlCommand] = [
        109: .skip, 106: .skip, 163: .skip,
        104: .back, 105: .back, 165: .back,
        57: .toggle, 28: .toggle, 164: .toggle, 48: .toggle, 96: .toggle, 207: .toggle, 119: .toggle,
        1: .stop, 128: .stop, 166: .stop,
        // Bluetooth headphones' play and pause buttons, as BlueZ sends them (AVRCP).
        200: .resume, 201: .pause,
    ]

    /// `struct input_event`: a timeval, then type, code (u16) and value (s32).
    public static var eventSize: Int { MemoryLayout<timeval>.size + 8 }

    public init(path: String, keyMap: [Int: ControlCommand] = EvdevControl.defaultKeyMap) {
        self.path = path
        self.keyMap = keyMap
    }

    /// `evdev:auto`: the first input device with keys, looked for again whenever it goes.
    public static func automatic(keyMap: [Int: ControlCommand] = EvdevControl.defaultKeyMap) -> EvdevControl {
        EvdevControl(path: autoPath, keyMap: keyMap)
    }

    static let autoPath = "auto"
    private var isAutomatic: Bool { path == Self.autoPath }

    /// The device to open now: the named one, or for `auto` the first with keys, Bluetooth
    /// headphones' AVRCP buttons before any other.
    private func devicePath() -> String? {
        isAutomatic ? Self.keyboards().first : path
    }

    /// The device's name as the kernel gives it ("WH-1000XM4 (AVRCP)"). The C call is
    /// `ioctl(EVIOCGNAME)`.
    static func deviceName(_ path: String) -> String? {
        guard let fd = try? SystemCall.open(path, O_RDONLY | O_NONBLOCK) else { return nil }
        defer { SystemCall.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 256)
        let request = UInt((2 << 30) | (256 << 16) | (0x45 << 8) | 0x06)  // _IOC(_IOC_READ, 'E', 0x06, 256)
        guard (try? SystemCall.ioctl(fd, request, &bytes)) != nil else { return nil }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// True for the input device BlueZ makes for headphones' buttons.
    static func isAVRCP(_ path: String) -> Bool { deviceName(path)?.hasSuffix("(AVRCP)") ?? false }

    /// How messages name it: `evdev:PATH`, or `evdev:auto (/dev/input/event3)`.
    private func name(_ device: String?) -> String {
        guard isAutomatic else { return "evdev:\(path)" }
        return "evdev:auto" + (device.map { " (\($0))" } ?? "")
    }

    /// The event devices that have keys (`evdev:auto`).
    public static func keyboards() -> [String] {
        let folder = "/dev/input"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let withKeys = names.filter { $0.hasPrefix("event") }.sorted().map { folder + "/" + $0 }.filter { hasKeys($0) }
        let headphones = Set(withKeys.filter(isAVRCP))
        return withKeys.filter(headphones.contains) + withKeys.filter { !headphones.contains($0) }
    }

    /// EVIOCGBIT(0, ...) lists the event types; a device with EV_KEY has keys.
    static func hasKeys(_ path: String) -> Bool {
        guard let fd = try? SystemCall.open(path, O_RDONLY | O_NONBLOCK) else { return false }
        defer { SystemCall.close(fd) }
        var bits: UInt32 = 0
        let request = UInt((2 << 30) | (4 << 16) | (0x45 << 8) | 0x20)  // _IOC(_IOC_READ, 'E', 0x20 + 0, 4)
        guard (try? SystemCall.ioctl(fd, request, &bits)) != nil else { return false }
        return UInt32(littleEndian: bits) & (1 << 1) != 0
    }

    public func start(_ queue: ControlQueue) throws(UpturnError) {
        var fd: Int32 = -1
        let device = devicePath()
        if let device, let info = try? SystemCall.fileStatus(device) {
            let kind = info.st_mode & S_IFMT
            // A FIFO carries recorded input_event records (tests, replays); a device must have keys.
            guard kind == S_IFIFO || (kind == S_IFCHR && Self.hasKeys(device)) else {
                throw UpturnError.unavailable("\(name(device)): not an input device with keys")
            }
            do throws(Errno) { fd = try SystemCall.open(device, O_RDONLY | O_NONBLOCK) } catch {
                var failure = UpturnError.system(.unavailable, "\(name(device)): cannot read it", error)
                failure.problems[0] += " (is the user in the 'input' group?)"
                throw failure
            }
            if isAutomatic && waitsForDevice { report?("\(name(device)): reading it") }
        } else if waitsForDevice {
            report?("\(name(nil)): not plugged in; waiting for it")
        } else if isAutomatic {
            throw UpturnError.noInput("evdev:auto: no input device with keys in /dev/input")
        } else {
            throw UpturnError.noInput("evdev:\(path): no such input device (`ls /dev/input/by-id` lists them)")
        }
        let wake: WakePipe
        do throws(UpturnError) { wake = try WakePipe() } catch {
            if fd >= 0 { SystemCall.close(fd) }
            throw error
        }
        self.wake = wake
        let thread = Thread(named: "upturn-evdev") { [self, fd] in
            let last = self.read(queue, fd: fd, device: fd >= 0 ? device : nil, wake: wake)
            if last >= 0 { SystemCall.close(last) }
            wake.closeReadEnd()
        }
        self.thread = thread
        thread.start()
    }

    /// Opens the device again if it is there and usable; -1 if not (yet), and which one.
    private func reopen() -> (fd: Int32, device: String?) {
        guard let device = devicePath(), let info = try? SystemCall.fileStatus(device) else { return (-1, nil) }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFIFO || (kind == S_IFCHR && Self.hasKeys(device)),
            let fd = try? SystemCall.open(device, O_RDONLY | O_NONBLOCK)
        else { return (-1, nil) }
        return (fd, device)
    }

    /// Reads key events until stopped; returns the descriptor open at the end (or -1).
    private func read(_ queue: ControlQueue, fd opened: Int32, device openedDevice: String?, wake: WakePipe) -> Int32 {
        var fd = opened
        var device = openedDevice
        var seen = opened >= 0
        var interpreter = PressInterpreter()
        let size = Self.eventSize
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: size * 16)
        let longCommand: (Int) -> ControlCommand? = { [keyMap] code in keyMap[code] == .toggle ? .stop : nil }
        while !wake.isWoken {
            if fd < 0 {
                // Unplugged: look for it again once a second (udev may also set its group late).
                if SystemCall.waitReadable(wake.readFD, milliseconds: 1000) { break }
                (fd, device) = reopen()
                if fd >= 0 { report?("\(name(device)): plugged in" + (seen ? " again" : "")) }
                seen = seen || fd >= 0
                continue
            }
            // Sleep until a key, stop(), or the moment a held key becomes a long press; with
            // `auto` on a device that is not headphones, look every 2 s for headphones that
            // connected meanwhile (BlueZ makes their AVRCP device when they connect).
            var timeout = interpreter.nextDeadline(from: MonotonicClock.now).map { Int32($0 * 1000) + 1 } ?? -1
            let watchForHeadphones = isAutomatic && !(device.map(Self.isAVRCP) ?? false)
            if watchForHeadphones { timeout = timeout < 0 ? 2000 : min(timeout, 2000) }
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), wake.pollEntry]
            let ready = (try? SystemCall.poll(&fds, milliseconds: timeout)) ?? 0
            for command in interpreter.tick(at: MonotonicClock.now, longCommand: longCommand) { queue.post(command) }
            if watchForHeadphones && ready == 0, let headphones = Self.keyboards().first, headphones != device, Self.isAVRCP(headphones),
                let opened = try? SystemCall.open(headphones, O_RDONLY | O_NONBLOCK)
            {
                SystemCall.close(fd)
                (fd, device) = (opened, headphones)
                buffer = []
                interpreter = PressInterpreter()
                report?("\(name(headphones)): headphones connected; reading their buttons")
                continue
            }
            guard ready > 0, fds[1].revents == 0, fds[0].revents != 0 else { continue }
            let n: Int
            do throws(Errno) { n = try SystemCall.read(fd, into: &chunk) } catch {
                n = error == .wouldBlock ? -1 : 0
            }
            if n < 0 { continue }
            if n == 0 {
                // The device is gone (ENODEV: unplugged), or a FIFO's writer closed. A FIFO
                // still there is opened again at once and quietly; a device is waited for.
                SystemCall.close(fd)
                let gone = device
                (fd, device) = reopen()
                buffer = []
                interpreter = PressInterpreter()
                if fd < 0 { report?("\(name(gone)): unplugged; waiting for it") }
                continue
            }
            buffer += chunk[0..<n]
            while buffer.count >= size {
                let record = Array(buffer[0..<size])
                buffer.removeFirst(size)
                let base = size - 8
                let type = UInt16(record[base]) | UInt16(record[base + 1]) << 8
                let code = Int(UInt16(record[base + 2]) | UInt16(record[base + 3]) << 8)
                let value = Int32(bitPattern: UInt32(record[base + 4]) | UInt32(record[base + 5]) << 8 | UInt32(record[base + 6]) << 16 | UInt32(record[base + 7]) << 24)
                guard type == Self.EV_KEY, let command = keyMap[code], value != 2 else { continue }
                let long = command == .toggle ? ControlCommand.stop : nil
                for c in interpreter.button(code, pressed: value == 1, at: MonotonicClock.now, command: command, longCommand: long) {
                    queue.post(c)
                }
            }
        }
        return fd
    }

    public func stop() {
        wake?.wake()
        thread = nil
    }

    /// One `input_event` record, for tests and replays.
    public static func record(type: UInt16 = 1, code: UInt16, value: Int32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: MemoryLayout<timeval>.size)
        bytes += [UInt8(type & 0xFF), UInt8(type >> 8), UInt8(code & 0xFF), UInt8(code >> 8)]
        let v = UInt32(bitPattern: value)
        bytes += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        return bytes
    }
}
