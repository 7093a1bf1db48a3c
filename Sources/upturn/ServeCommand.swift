import Foundation
import UpturnKit

enum ServeCommand {
    static let help = """
        usage: upturn serve [--device NAME] [--pack NAME|DIR] [--volume 0-100] [--rate HZ]
                            [--controls LIST] [--socket PATH] [--keep-alive] [--alone]
                            [--voice-model DIR] [--web [ADDR][:PORT]]
                            [--web-cert FILE --web-key FILE] [--angle iio[:NAME|PATH]]

        Runs as a service beside the table (systemd starts it: Scripts/install-service).
        It waits for a press. A press says what today holds ("Today: core, level 3,
        35 degrees, 12 minutes. Press to begin."); a second press begins it. A long press
        (or the skip button) lists the other sessions and says them one by one; a press
        begins the one just said. `upturn ctl start [PLAN]` begins a session at once, and
        so does "upturn start" with --controls voice.
        Every session is kept in the history, and today's plan moves on from it.

        It starts before the sound card is ready and waits for it, never exits on a lost
        device, and logs one line per event to stderr (the journal, under systemd).
        SIGTERM ends it (after "Slowly return upright" when a session is inverted).

        The options are those of `upturn play`; --controls defaults to the socket (and the
        keyboard on a terminal).

        --web serves the companion page for a phone (port 8080 on every address unless
        given: --web :9000, --web 192.168.1.20:8080). A phone pairs with a 6-digit code the
        box says aloud; `upturn web devices` lists paired phones, `upturn web forget NAME`
        removes one. Plain HTTP unless --web-cert and --web-key give a certificate and its
        key (PEM): then HTTPS, and the page can record your voice (browsers give a microphone
        only to a secure page). See the README before opening it beyond your home network.

        --angle follows the table's real angle in every session (see `upturn play --help`) and
        watches it between sessions: tilted past 15° with no session for longer than 5
        minutes, the box says "Slowly return upright" and raises the alarm, every 30 s, until
        the table is upright. A sensor missing at the start is waited for.
        """

    static func run(_ words: [String]) throws(UpturnError) -> ExitCode {
        // `--web` alone (last, or before another option) is the default address.
        var words = words
        if let at = words.firstIndex(of: "--web"), at == words.count - 1 || words[at + 1].hasPrefix("--") {
            words.insert("", at: at + 1)
        }
        let arguments = try Arguments(
            words, command: "serve", valued: ["--device", "--pack", "--volume", "--rate", "--controls", "--socket", "--voice-model", "--web", "--web-cert", "--web-key", "--angle"],
            flags: ["--keep-alive", "--alone"])
        if CommandLineTool.helped(arguments, help) { return .ok }
        try arguments.atMost(0, command: "serve")
        var options = Service.Options()
        options.rate = try CommandLineTool.rate(arguments, command: "serve")
        options.volume = try arguments.integer("--volume", in: 0...100, command: "serve")
        options.controls = try CommandLineTool.controlSpecs(arguments)
        options.keyMap = try ControlSpec.loadKeyMap()
        options.device = arguments.options["--device"]
        options.pack = arguments.options["--pack"]
        options.keepAlive = arguments.flags.contains("--keep-alive")
        options.alone = arguments.flags.contains("--alone")
        options.socketPath = arguments.options["--socket"] ?? ControlSocket.defaultPath
        options.voiceModel = arguments.options["--voice-model"] ?? options.voiceModel
        if let web = arguments.options["--web"] { options.web = try WebAddress.parse(web) }
        if let angle = arguments.options["--angle"] {
            guard angle == "iio" || angle.hasPrefix("iio:") else { throw UpturnError.usage("--angle: '\(angle.prefix(60))' is not iio, iio:NAME or iio:PATH") }
            options.angle = angle
            if let calibration = try AngleCalibration.load() { options.calibration = calibration } else {
                StandardError.write("upturn serve: angle: " + AngleCalibration.assumedNote)
            }
        }
        switch (arguments.options["--web-cert"], arguments.options["--web-key"]) {
        case (nil, nil): break
        case (let certificate?, let key?):
            guard options.web != nil else { throw UpturnError.usage("serve: --web-cert and --web-key go with --web") }
            options.webTLS = try WebTLS.load(certificate: certificate, key: key)
        default: throw UpturnError.usage("serve: --web-cert and --web-key go together (a certificate and its key)")
        }
        try Service(options).run()
        return .ok
    }
}
