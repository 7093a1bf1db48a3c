import Foundation
import UpturnKit

/// `upturn`: a hands-free, voice-guided session player for inversion tables.
/// Data goes to stdout, diagnostics to stderr; exit codes are those of `ExitCode`.
guard let arguments = ProcessArguments.validUTF8() else { exit(ExitCode.usage.rawValue) }
let status = CommandLineTool.run(arguments)
fflush(nil)
exit(status.rawValue)
