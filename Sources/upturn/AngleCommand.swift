import Foundation
import UpturnKit

enum AngleCommand {
    static let help = """
        usage: upturn angle [--angle iio[:NAME|PATH]] [--json] [--once]
               upturn angle calibrate [--angle iio[:NAME|PATH]] [--device NAME] [--pack NAME|DIR]
                                      [--controls LIST] [--socket PATH]

        The table's angle from an accelerometer on its frame (Linux IIO: an MPU-6050,
        ADXL345 or LIS3DH on the Pi's I2C pins, its overlay on): 0 is level, 90 hanging
        straight down, negative toward standing (-90 upright). It prints the angle twice a
        second until Ctrl-C (--once: one reading), with --json one object a line.
        --angle picks the sensor: iio (the first accelerometer), iio:NAME (its `name`), or
        iio:PATH (its folder, or a folder of iio:deviceN folders).

        `calibrate` walks you through it by voice: stand upright on the table and press,
        then tilt until you lie level and press. The two poses give the axis and the zero,
        whatever way the board is mounted; they are kept in ~/.config/upturn/angle.json5.
        Without it the board is taken to lie flat on the bed, its x axis toward the head.
        A press is Enter or space on the terminal, or any control of --controls.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        if words.first == "calibrate" { return try calibrate(Array(words.dropFirst())) }
        let arguments = try Arguments(words, command: "angle", valued: ["--angle"], flags: ["--json", "--once"])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "angle")
        let json = arguments.flags.contains("--json")
        let stored = try AngleCalibration.load()
        let sensor = try AngleSensor(
            spec: arguments.options["--angle"] ?? "iio", calibration: stored ?? .assumed,
            report: { CommandLineTool.printError("upturn: " + $0) })
        if stored == nil { CommandLineTool.printError("upturn angle: " + AngleCalibration.assumedNote) }
        sensor.start()
        defer { sensor.stop() }
        let queue = ControlQueue()
        Signals.install(wake: queue)
        let live = !json && isatty(STDOUT_FILENO) == 1
        var waited = 0
        while !queue.terminationRequested {
            queue.wait(milliseconds: 500)
            // A signal (Ctrl-C, SIGTERM) comes as a stop.
            if queue.take().contains(.stop) { break }
            guard let sample = sensor.current else {
                waited += 1
                if arguments.flags.contains("--once") && waited >= 4 {
                    throw UpturnError.unavailable("upturn angle: no reading from \(sensor.spec) in 2 s")
                }
                continue
            }
            let line: String
            if json {
                line = String(
                    format: "{\"degrees\": %.1f, \"upright\": %@, \"inverted\": %@, \"calibrated\": %@}", sample.degrees,
                    sample.degrees < AngleRules.upright ? "true" : "false", sample.degrees > AngleRules.inverted ? "true" : "false",
                    stored == nil ? "false" : "true")
            } else {
                line = String(format: "%6.1f°  %@", sample.degrees, sample.degrees > AngleRules.inverted ? "inverted" : sample.degrees < AngleRules.upright ? "upright" : "")
            }
            if live { print("\r\u{1B}[K" + line, terminator: "") } else { print(line) }
            // Whoever read the lines is gone (a closed pipe): so is the reason to go on.
            if fflush(nil) != 0 { break }
            if arguments.flags.contains("--once") { break }
        }
        if live { print("") }
        return .ok
    }

    /// Two poses by voice, each taken as the mean of a second's readings after a press.
    static func calibrate(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(
            words, command: "angle calibrate", valued: ["--angle", "--device", "--pack", "--controls", "--socket", "--rate"], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "angle calibrate")
        let device = try IIOAccelerometer.find(arguments.options["--angle"] ?? "iio")
        let rate = try CommandLineTool.rate(arguments, command: "angle calibrate")
        let pack = try PackLocator.load(arguments.options["--pack"])
        let library = ClipLibrary(rate: rate, cache: PromptCache())
        let compiler = TimelineCompiler(plan: Plan(title: "", steps: []), pack: pack, rate: rate, measure: library)
        let target = AudioOutput.target(device: arguments.options["--device"], output: nil)
        func say(_ cue: CueKey) throws(UpturnError) {
            let words = try compiler.interjection(cue)
            CommandLineTool.printError("upturn angle calibrate: " + (words.events.first?.text ?? cue.key))
            let sink = try AudioOutput.open(target, rate: rate)
            _ = try PlaybackSession().play(Interjection.timeline([words], rate: rate), clips: library, sink: sink)
        }
        // The presses: the terminal, or the controls given.
        let queue = ControlQueue()
        Signals.install(wake: queue)
        let specs = try arguments.options["--controls"].map { text throws(UpturnError) in try ControlSpec.parse(text) }
            ?? (KeyboardControl.isForeground(STDIN_FILENO) ? [.keyboard] : [.socket])
        var sources: [any ControlSource] = []
        defer { sources.forEach { $0.stop() } }
        let board = StatusBoard()
        for spec in specs {
            let source = try spec.source(
                keyMap: EvdevControl.defaultKeyMap, socketPath: arguments.options["--socket"] ?? ControlSocket.defaultPath, board: board,
                report: { CommandLineTool.printError("upturn: " + $0) })
            try source.start(queue)
            sources.append(source)
        }
        /// Waits for a press; false on a stop or a signal.
        func press() -> Bool {
            _ = queue.take()
            while !queue.terminationRequested {
                queue.wait(milliseconds: 1000)
                let commands = queue.take()
                if commands.contains(.stop) { return false }
                if !commands.isEmpty { return true }
            }
            return false
        }
        /// The mean direction of a second's readings.
        func pose() throws(UpturnError) -> Vector3 {
            var sum = Vector3(0, 0, 0)
            var count = 0
            for _ in 0..<20 {
                if case .success(let force) = device.read(), force.length > 0 {
                    sum = sum + force.unit
                    count += 1
                }
                usleep(50_000)
            }
            guard count >= 10 else { throw UpturnError.unavailable("upturn angle calibrate: \(device.folder): too few readings (\(count) of 20)") }
            return sum * (1 / Double(count))
        }
        try say(.angleUprightPose)
        guard press() else {
            CommandLineTool.printError("upturn angle calibrate: stopped; the calibration is unchanged")
            return .ok
        }
        let upright = try pose()
        try say(.angleLevelPose)
        guard press() else {
            CommandLineTool.printError("upturn angle calibrate: stopped; the calibration is unchanged")
            return .ok
        }
        let level = try pose()
        let made = ISO8601DateFormatter().string(from: Date())
        let calibration = try AngleCalibration.from(upright: upright, level: level, device: device.name, made: made)
        try calibration.save()
        try say(.angleCalibrated)
        print("calibrated \(device.name): kept in \(AngleCalibration.file)")
        return .ok
    }
}
