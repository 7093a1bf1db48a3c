import Foundation
import Synchronization

/// An edge on a button line: which line, pressed or released, when (seconds).
public struct ButtonEdge: Sendable, Equatable {
    public var line: Int
    public var pressed: Bool
    public var time: Double
    public init(line: Int, pressed: Bool, time: Double) {
        self.line = line
        self.pressed = pressed
        self.time = time
    }
}

/// Where button edges come from: the GPIO character device, or a fake in tests.
public protocol ButtonLines: AnyObject, Sendable {
    /// The lines, in the order given (the first toggles, the second skips).
    var lines: [Int] { get }
    /// Waits up to `milliseconds` (-1: until an edge or a wake) and returns the edges that
    /// arrived; returns at once, maybe with none, when `wake` is woken.
    func edges(waiting milliseconds: Int32, wake: WakePipe) -> [ButtonEdge]
    func close()
}

/// Raspberry Pi buttons on GPIO: one is enough (a press toggles, holding it 1.5 s stops);
/// a second one skips. Buttons pull the line to ground, so a press is a falling edge.
public final class GPIOControl: ControlSource, @unchecked Sendable {
    // @unchecked: set up by start() before its thread starts; then only that thread reads
    // the lines, and stop() only wakes it (WakePipe is Sendable).
    private let open: () throws(UpturnError) -> any ButtonLines
    private var wake: WakePipe?
    private var thread: Thread?

    public init(open: @escaping () throws(UpturnError) -> any ButtonLines) {
        self.open = open
    }

    /// `gpio:CHIP:LINE[,LINE]`, e.g. `gpio:gpiochip0:17,27` or `gpio:0:17`.
    public convenience init(chip: String, lines: [Int]) {
        self.init(open: { () throws(UpturnError) in try GPIOChardevLines(chip: chip, lines: lines) })
    }

    /// The commands of one edge: the first line toggles (long: stop), the others skip.
    public static func commands(
        for edge: ButtonEdge, lines: [Int], interpreter: inout PressInterpreter
    ) -> [ControlCommand] {
        let first = edge.line == lines.first
        return interpreter.button(
            edge.line, pressed: edge.pressed, at: edge.time, command: first ? .toggle : .skip, longCommand: first ? .stop : nil)
    }

    public func start(_ queue: ControlQueue) throws(UpturnError) {
        let lines = try open()
        let wake: WakePipe
        do throws(UpturnError) { wake = try WakePipe() } catch {
            lines.close()
            throw error
        }
        self.wake = wake
        let thread = Thread(named: "upturn-gpio") {
            var interpreter = PressInterpreter()
            let toggleLine = lines.lines.first
            while !wake.isWoken {
                // Sleep until an edge, stop(), or the moment a held button becomes a long press.
                let wait = interpreter.nextDeadline(from: MonotonicClock.now).map { Int32($0 * 1000) + 1 } ?? -1
                for edge in lines.edges(waiting: wait, wake: wake) {
                    for c in Self.commands(for: edge, lines: lines.lines, interpreter: &interpreter) { queue.post(c) }
                }
                for c in interpreter.tick(at: MonotonicClock.now, longCommand: { $0 == toggleLine ? .stop : nil }) {
                    queue.post(c)
                }
            }
            lines.close()
            wake.closeReadEnd()
        }
        self.thread = thread
        thread.start()
    }

    public func stop() {
        wake?.wake()
    }
}

/// Button lines through the Linux GPIO character device, v2 uAPI: `GPIO_V2_GET_LINE_IOCTL`
/// on `/dev/gpiochipN` requests the lines as inputs with pull-up, both edges, and a
/// 10 ms debounce; edges arrive as `struct gpio_v2_line_event` records on the line fd.
public final class GPIOChardevLines: ButtonLines, @unchecked Sendable {
    // @unchecked: `fd` is set by open() before the reading thread starts, and closed by
    // it as it ends.
    public let lines: [Int]
    private var fd: Int32 = -1

    // struct gpio_v2_line_request is 592 bytes; these are its field offsets.
    static let requestSize = 592
    static let offsetsOffset = 0
    static let consumerOffset = 256
    static let configFlagsOffset = 288
    static let configNumAttrsOffset = 296
    static let configAttrsOffset = 320
    static let numLinesOffset = 560
    static let fdOffset = 588
    static let eventSize = 48
    // GPIO_V2_LINE_FLAG_*
    static let flagInput: UInt64 = 1 << 2
    static let flagEdgeRising: UInt64 = 1 << 4
    static let flagEdgeFalling: UInt64 = 1 << 5
    static let flagBiasPullUp: UInt64 = 1 << 8
    static let attrDebounce: UInt32 = 3
    static let eventFallingEdge: UInt32 = 2
    /// _IOWR(0xB4, 0x07, struct gpio_v2_line_request)
    static let getLineRequest = UInt((3 << 30) | (592 << 16) | (0xB4 << 8) | 0x07)

    public init(chip: String, lines: [Int]) throws(UpturnError) {
        let path = chip.hasPrefix("/") ? chip : (chip.allSatisfy(\.isNumber) ? "/dev/gpiochip\(chip)" : "/dev/\(chip)")
        guard !lines.isEmpty, lines.count <= 8, lines.allSatisfy({ $0 >= 0 && $0 < 1024 }) else {
            throw UpturnError.usage("gpio: give one or two line numbers, e.g. gpio:gpiochip0:17,27")
        }
        self.lines = lines
        guard (try? SystemCall.fileStatus(path)) != nil else {
            throw UpturnError.noInput("gpio:\(chip): no GPIO chip at \(path) (`ls /dev/gpiochip*` lists them)")
        }
        let chipFD: Int32
        do throws(Errno) { chipFD = try SystemCall.open(path, O_RDWR) } catch {
            var failure = UpturnError.system(.unavailable, "gpio:\(chip): cannot open \(path)", error)
            failure.problems[0] += " (is the user in the 'gpio' group?)"
            throw failure
        }
        defer { SystemCall.close(chipFD) }
        var request = Self.request(lines: lines)
        do throws(Errno) { try SystemCall.ioctl(chipFD, Self.getLineRequest, &request) } catch {
            throw UpturnError.system(.unavailable, "gpio:\(chip): cannot use line \(lines.map(String.init).joined(separator: ","))", error)
        }
        fd = Self.load(Int32.self, request, at: Self.fdOffset)
    }

    /// The request's bytes: inputs, pull-up, both edges, 10 ms debounce, consumer "upturn".
    static func request(lines: [Int]) -> [UInt8] {
        var r = [UInt8](repeating: 0, count: requestSize)
        for (i, line) in lines.enumerated() { store(UInt32(line), in: &r, at: offsetsOffset + 4 * i) }
        for (i, byte) in "upturn".utf8.enumerated() { r[consumerOffset + i] = byte }
        store(flagInput | flagEdgeRising | flagEdgeFalling | flagBiasPullUp, in: &r, at: configFlagsOffset)
        store(UInt32(1), in: &r, at: configNumAttrsOffset)
        // attrs[0]: {attr: {id: DEBOUNCE, padding, debounce_period_us}, mask: every line}
        store(attrDebounce, in: &r, at: configAttrsOffset)
        store(UInt32(10_000), in: &r, at: configAttrsOffset + 8)
        store(UInt64((1 << lines.count) - 1), in: &r, at: configAttrsOffset + 16)
        store(UInt32(lines.count), in: &r, at: numLinesOffset)
        return r
    }

    static func store<T: FixedWidthInteger>(_ value: T, in bytes: inout [UInt8], at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (i, b) in raw.enumerated() { bytes[offset + i] = b }
        }
    }

    static func load<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], at offset: Int) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { raw in
            for i in 0..<MemoryLayout<T>.size { raw[i] = bytes[offset + i] }
        }
        return T(littleEndian: value)
    }

    /// Decodes `struct gpio_v2_line_event` records: timestamp_ns, id, offset, seqno, line_seqno.
    public static func edges(in bytes: [UInt8]) -> [ButtonEdge] {
        stride(from: 0, to: bytes.count - eventSize + 1, by: eventSize).map { base in
            let record = Array(bytes[base..<(base + eventSize)])
            let nanoseconds = load(UInt64.self, record, at: 0)
            let id = load(UInt32.self, record, at: 8)
            let line = load(UInt32.self, record, at: 12)
            return ButtonEdge(line: Int(line), pressed: id == eventFallingEdge, time: Double(nanoseconds) / 1e9)
        }
    }

    public func edges(waiting milliseconds: Int32, wake: WakePipe) -> [ButtonEdge] {
        guard fd >= 0 else { return [] }
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), wake.pollEntry]
        guard (try? SystemCall.poll(&fds, milliseconds: milliseconds)) ?? 0 > 0, fds[1].revents == 0, fds[0].revents != 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: Self.eventSize * 16)
        guard let n = try? SystemCall.read(fd, into: &buffer), n > 0 else { return [] }
        // Line events are stamped with CLOCK_MONOTONIC, like MonotonicClock.now.
        return Self.edges(in: Array(buffer[0..<n]))
    }

    public func close() {
        if fd >= 0 {
            SystemCall.close(fd)
            fd = -1
        }
    }
}
