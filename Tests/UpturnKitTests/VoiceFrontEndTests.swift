import XCTest

@testable import UpturnKit

/// The echo canceller's two additions: the frozen copy of the echo path, which keeps the
/// player's echo out while the user talks over it, and the silencing of frames that hold the
/// player's echo alone.
final class VoiceFrontEndTests: XCTestCase {
    /// The player's talk, the user's command (another voice, taken as 16 kHz audio), and the
    /// microphone: the talk through a room (10 ms, the delay `EchoDelayTracker` keeps, and two
    /// reflections) with the command as loud as its echo from 8 s.
    struct Scene {
        var reference: [Int16]
        var user: [Float]
        var microphone: [Int16]
        var userRange: Range<Int>
    }

    func scene(withUser: Bool = true) throws -> Scene {
        let talk = try EspeakSynthesizer().synthesize(
            "Arms overhead, reaching gently through your fingertips. Let your shoulders relax and your back lengthen, and breathe slowly and evenly, in through your nose and out through your mouth.",
            voice: VoiceSettings())
        var reference: [Float] = []
        while reference.count < 14 * 16_000 { reference += talk.map { Float($0) * 0.5 } }
        let path: [(Int, Float)] = [(160, 0.8), (171, 0.3), (203, -0.15)]
        var echo = [Float](repeating: 0, count: reference.count)
        for (delay, gain) in path {
            for t in delay..<reference.count { echo[t] += gain * reference[t - delay] }
        }
        let said = try EspeakSynthesizer().synthesize("Upturn stop, upturn stop.", voice: VoiceSettings(name: "en-us", rate: 170, pitch: 80))
        var user = [Float](repeating: 0, count: reference.count)
        let start = 8 * 16_000
        let power = { (x: ArraySlice<Float>) in x.reduce(0) { $0 + $1 * $1 } / Float(max(x.count, 1)) }
        let gain = (power(echo[start..<start + said.count]) / power(said.map(Float.init)[...])).squareRoot()
        if withUser { for (i, s) in said.enumerated() { user[start + i] = Float(s) * gain } }
        let clip = { (x: Float) in Int16(max(-32768, min(32767, x.rounded()))) }
        return Scene(
            reference: reference.map(clip), user: user, microphone: zip(echo, user).map { clip($0 + $1) },
            userRange: start..<start + said.count)
    }

    /// The microphone through a front end, in frames.
    func run(_ frontEnd: VoiceFrontEnd, _ scene: Scene) -> [Int16] {
        let frame = VoiceFrontEnd.frame
        var output: [Int16] = []
        var mic = [Int16](repeating: 0, count: frame)
        for start in stride(from: 0, to: scene.microphone.count - frame, by: frame) {
            mic.replaceSubrange(0..<frame, with: scene.microphone[start..<start + frame])
            let ref = Array(scene.reference[start..<start + frame])
            mic.withUnsafeMutableBufferPointer { m in ref.withUnsafeBufferPointer { frontEnd.process(m.baseAddress!, reference: $0.baseAddress!) } }
            output += mic
        }
        return output
    }

    /// `x` through speexdsp's DC notch, as the canceller's output holds the user's voice.
    func notched(_ x: [Float]) -> [Float] {
        var memory: (Float, Float) = (0, 0)
        return x.map { VoiceFrontEnd.notch($0, &memory) }
    }

    func decibels<C: Collection>(_ x: C) -> Double where C.Element: BinaryFloatingPoint {
        10 * log10(x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(x.count, 1)) + 1)
    }

    /// While the user talks over the player, what is left of the echo (the output less the
    /// user's voice) stays low with the copy, where the adaptive filter alone lets more through.
    func testTheCopyKeepsTheEchoOutWhileTheUserTalks() throws {
        let scene = try scene()
        let user = notched(scene.user)
        var left: [Double] = []
        for copying in [true, false] {
            let frontEnd = VoiceFrontEnd(echoTail: CommandListener.echoTail, copying: copying, silencing: false)
            let output = run(frontEnd, scene)
            let range = scene.userRange.clamped(to: 0..<output.count)
            left.append(decibels(range.map { Float(output[$0]) - user[$0] }))
            if copying { XCTAssertGreaterThan(frontEnd.framesFromCopy, 0) }
        }
        let echo = decibels(scene.userRange.map { Float(scene.microphone[$0]) - scene.user[$0] })
        print("echo left under the user's voice: \(echo - left[0]) dB taken out with the copy, \(echo - left[1]) dB without")
        XCTAssertGreaterThan(echo - left[0], 20)
        XCTAssertGreaterThan(left[1] - left[0], 4)
    }

    /// Once the echo path is learnt, frames holding the player's echo alone are silence; the
    /// user's voice over it is not silenced, and nothing is while the player is silent.
    func testEchoOnlyFramesAreSilencedAndAVoiceIsNot() throws {
        let scene = try scene()
        let frontEnd = VoiceFrontEnd(echoTail: CommandListener.echoTail)
        let output = run(frontEnd, scene)
        let frame = VoiceFrontEnd.frame
        // The echo alone, from 4 s (learnt) to the user's voice: the frames where the player
        // is heard are nearly all silence.
        var echoFrames = 0, silent = 0
        for start in stride(from: 4 * 16_000, to: scene.userRange.lowerBound - frame, by: frame) {
            let ref = scene.reference[start..<start + frame]
            guard decibels(ref.map(Float.init)) > 60 else { continue }
            echoFrames += 1
            if output[start..<start + frame].allSatisfy({ $0 == 0 }) { silent += 1 }
        }
        XCTAssertGreaterThan(echoFrames, 50)
        XCTAssertGreaterThan(Double(silent), 0.8 * Double(echoFrames), "\(silent) of \(echoFrames) echo-only frames silenced")
        // The user's voice: every frame where it is loud comes through.
        let user = notched(scene.user)
        for start in stride(from: scene.userRange.lowerBound, to: scene.userRange.upperBound - frame, by: frame) {
            guard decibels(scene.user[start..<start + frame]) > 60 else { continue }
            XCTAssertEqual(
                decibels(output[start..<start + frame].map(Float.init)), decibels(user[start..<start + frame]), accuracy: 3,
                "the user's voice at \(Double(start) / 16_000) s")
        }
        // Without the player, a sound in the room is never silenced.
        let quiet = VoiceFrontEnd(echoTail: CommandListener.echoTail)
        let noise = Scene(
            reference: [Int16](repeating: 0, count: scene.reference.count), user: scene.user,
            microphone: scene.user.map { Int16(max(-32768, min(32767, $0.rounded()))) }, userRange: scene.userRange)
        _ = run(quiet, noise)
        XCTAssertEqual(quiet.framesSilenced, 0)
    }
}
