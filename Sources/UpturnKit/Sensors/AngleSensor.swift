import Foundation
import Synchronization

/// The table's angle, read on a thread of its own 20 times a second (`--angle iio…`): the
/// accelerometer, its calibration, the filter. A device that goes away is one line, and is
/// looked for again every second; a file with garbage, or a force far from gravity (a knock,
/// a broken sensor), is a line when it begins and the reading is skipped, and when it lasts
/// a second the angle is lost until good readings come back. Whoever follows the table reads
/// `current`; nothing waits on this thread.
public final class AngleSensor: TableAngle, @unchecked Sendable {
    // @unchecked: `device`, `filter`, `trouble` and the counters are the thread's alone;
    // `latest` and `running` are atomics or a mutex.
    public static let hertz = 20.0
    public let spec: String
    public let root: String
    public let calibration: AngleCalibration
    private let report: @Sendable (String) -> Void
    private let latest = Mutex<AngleSample?>(nil)
    private let running = Atomic<Bool>(false)
    private var device: IIOAccelerometer?
    private var filter = AngleFilter()
    /// The problem being had now (said once when it begins), and since when.
    private var trouble: String?
    private var badSince: Double?
    private var thread: Thread?
    private let stopped = DispatchSemaphore(value: 0)
    private let wake: WakePipe

    /// Finds the device now (66 when there is none: `--angle` asked for one; `serve`, which
    /// starts before the hardware is ready, waits for it instead); reads once started.
    public init(
        spec: String, root: String = IIOAccelerometer.root, calibration: AngleCalibration, waitsForDevice: Bool = false,
        report: @escaping @Sendable (String) -> Void
    ) throws(UpturnError) {
        self.spec = spec
        self.root = root
        self.calibration = calibration
        self.report = report
        do throws(UpturnError) { device = try IIOAccelerometer.find(spec, root: root) } catch {
            guard waitsForDevice, error.code == .noInput else { throw error }
            report("angle: \(error.problems.first ?? "no sensor yet"); waiting for it")
        }
        wake = try WakePipe()
    }

    public var current: AngleSample? { latest.withLock { $0 } }

    public func start() {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread(named: "upturn-angle") { [self] in
            let period = 1 / Self.hertz
            var next = MonotonicClock.now
            while running.load(ordering: .relaxed) {
                step(at: MonotonicClock.now)
                next += period
                let left = next - MonotonicClock.now
                if left < -1 { next = MonotonicClock.now }  // a long stall: no burst to catch up
                if left > 0, SystemCall.waitReadable(wake.readFD, milliseconds: Int32(left * 1000)) { break }
            }
            stopped.signal()
        }
        self.thread = thread
        thread.start()
    }

    public func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        wake.wake()
        _ = stopped.wait(timeout: .now() + 2)
    }

    deinit { stop() }

    /// One reading (the thread calls it; tests and the bench call it with their own time).
    public func step(at now: Double) {
        guard let device else {
            // Lost: looked for again once a second.
            if Int(now * Self.hertz) % Int(Self.hertz) == 0, let found = try? IIOAccelerometer.find(spec, root: root) {
                self.device = found
                filter.reset()
                say(nil)
                report("angle: the sensor is back (\(found.name)); following the table again")
            }
            return
        }
        switch device.read() {
        case .failure(.lost(let why)):
            self.device = nil
            latest.withLock { $0 = nil }
            trouble = nil
            report("angle: \(why); keeping time by the plan until it is back")
        case .failure(.garbage(let why)):
            bad(why, at: now)
        case .success(let force):
            let g = force.length
            if device.inMetresPerSecond && (g < 4.9 || g > 19.6) {
                bad(String(format: "%@: reads %.1f m/s², not gravity (a knock, or a faulty sensor)", device.folder, g), at: now)
                return
            }
            badSince = nil
            say(nil)
            let degrees = filter.feed(force, at: now, calibration: calibration)
            latest.withLock { $0 = AngleSample(degrees: degrees, time: now) }
        }
    }

    private func bad(_ why: String, at now: Double) {
        say(why)
        let since = badSince ?? now
        badSince = since
        if now - since >= 1, latest.withLock({ $0 }) != nil {
            latest.withLock { $0 = nil }
            filter.reset()
            report("angle: no good reading for a second; keeping time by the plan until there is")
        }
    }

    /// A problem said once when it begins, and once when it is over.
    private func say(_ problem: String?) {
        guard problem != trouble else { return }
        if let problem { report("angle: \(problem); the reading is skipped") } else if trouble != nil { report("angle: good readings again") }
        trouble = problem
    }
}
