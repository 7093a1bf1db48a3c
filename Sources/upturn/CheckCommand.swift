import Foundation
import UpturnKit

enum CheckCommand {
    static let help = """
        usage: upturn check FILE...

        Checks plans (.json5 files) and cue packs (folders, or their pack.json5) without
        playing or synthesizing anything. Every problem is printed, one per line, as
        file:line:column: message. Exit 0 when all are fine, 65 when any has a problem,
        66 when a file cannot be read. On a box with an accelerometer (`upturn angle`), it
        also says when the angle is not calibrated, and checks the calibration kept.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        let arguments = try Arguments(words, command: "check", valued: [], flags: [])
        if CommandLineTool.helped(arguments, help) { return .ok }
        guard !arguments.positionals.isEmpty else { throw UpturnError.usage("upturn check: name at least one plan or pack") }
        var worst = ExitCode.ok
        for file in arguments.positionals {
            do throws(UpturnError) {
                let note = try Checker.check(file)
                print("\(TerminalText.safe(file)): ok" + note)
            } catch {
                CommandLineTool.report(error)
                if worst != .dataError { worst = error.code }
            }
        }
        // The angle sensor, when this box has one.
        if let device = try? IIOAccelerometer.find("iio") {
            do throws(UpturnError) {
                if let calibration = try AngleCalibration.load() {
                    if !calibration.device.isEmpty && calibration.device != device.name {
                        print("angle: calibrated with \(calibration.device), but the sensor here is \(device.name): run upturn angle calibrate")
                    }
                } else {
                    print("angle: an accelerometer (\(device.name)) is here but not calibrated: run upturn angle calibrate")
                }
            } catch {
                CommandLineTool.report(error)
                worst = .dataError
            }
        }
        return worst
    }
}
