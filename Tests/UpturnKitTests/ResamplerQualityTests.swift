import Foundation
import XCTest

@testable import UpturnKit

/// Resampling keeps prompts and recordings as they were: a 1 kHz tone and a sweep taken
/// from 22 050 Hz to 48 000 Hz keep their level within 0.1 dB, and nothing of them appears
/// where it was not (images above the old Nyquist frequency, or anything beside the tone)
/// above -90 dB.
final class ResamplerQualityTests: XCTestCase {
    let inRate = 22_050, outRate = 48_000

    /// Power spectrum (a Kaiser window, β = 14: side lobes far under -100 dB) of `samples`,
    /// which must be a power of two long.
    func spectrum(_ samples: [Float]) -> [Double] {
        let n = samples.count
        func i0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0
            for k in 1..<50 {
                term *= (x / 2) / Double(k)
                sum += term * term
            }
            return sum
        }
        let beta = 14.0
        var re = [Double](repeating: 0, count: n), im = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let r = 2 * Double(i) / Double(n - 1) - 1
            re[i] = Double(samples[i]) * i0(beta * (1 - r * r).squareRoot()) / i0(beta)
        }
        // Iterative radix-2 FFT.
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 {
                j ^= bit
                bit >>= 1
            }
            j |= bit
            if i < j {
                re.swapAt(i, j)
                im.swapAt(i, j)
            }
        }
        var length = 2
        while length <= n {
            let angle = -2 * Double.pi / Double(length)
            for start in stride(from: 0, to: n, by: length) {
                for k in 0..<(length / 2) {
                    let (c, s) = (cos(angle * Double(k)), sin(angle * Double(k)))
                    let a = start + k, b = start + k + length / 2
                    let tr = re[b] * c - im[b] * s, ti = re[b] * s + im[b] * c
                    re[b] = re[a] - tr
                    im[b] = im[a] - ti
                    re[a] += tr
                    im[a] += ti
                }
            }
            length <<= 1
        }
        return (0..<(n / 2)).map { re[$0] * re[$0] + im[$0] * im[$0] }
    }

    func rms(_ x: ArraySlice<Float>) -> Double {
        (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
    }

    func decibels(_ ratio: Double) -> Double { 10 * log10(max(ratio, 1e-30)) }

    func testAToneKeepsItsLevelAndNothingElseAppears() throws {
        let input = (0..<(inRate * 2)).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / Double(inRate))) }
        let output = try Resampler.resample(input, from: inRate, to: outRate)
        XCTAssertEqual(output.count, Resampler.length(input.count, from: inRate, to: outRate), accuracy: 2)
        let middle = output[(outRate / 2)..<(outRate / 2 + 65_536)]
        XCTAssertEqual(20 * log10(rms(middle) / (0.5 / 2.0.squareRoot())), 0, accuracy: 0.1, "level")
        let power = spectrum(Array(middle))
        let bin = { (hz: Double) in Int(hz * 65_536 / Double(self.outRate)) }
        let peak = power[(bin(1000) - 3)...(bin(1000) + 3)].max()!
        let elsewhere = power.indices.filter { abs($0 - bin(1000)) > 40 && $0 > 2 }.map { power[$0] }.max()!
        XCTAssertLessThan(decibels(elsewhere / peak), -90, "the strongest other component")
    }

    func testASweepKeepsItsLevelAndMakesNoImages() throws {
        // A logarithmic sweep from 50 Hz to 9 kHz (the passband ends at 91% of 11 025 Hz).
        let seconds = 4.0, f0 = 50.0, f1 = 9000.0
        let k = log(f1 / f0) / seconds
        let input = (0..<Int(seconds * Double(inRate))).map { i -> Float in
            let t = Double(i) / Double(inRate)
            return Float(0.5 * sin(2 * Double.pi * f0 * (exp(k * t) - 1) / k))
        }
        let output = try Resampler.resample(input, from: inRate, to: outRate)
        // The same stretch of the sweep in both, away from the ends.
        let (from, to) = (0.5, 3.5)
        let before = input[Int(from * Double(inRate))..<Int(to * Double(inRate))]
        let after = output[Int(from * Double(outRate))..<Int(to * Double(outRate))]
        XCTAssertEqual(20 * log10(rms(after) / rms(before)), 0, accuracy: 0.1, "level")
        let power = spectrum(Array(output[Int(from * Double(outRate))..<(Int(from * Double(outRate)) + 131_072)]))
        let nyquist = Int(11_500 * 131_072 / Double(outRate))
        let images = power[nyquist...].reduce(0, +), total = power.reduce(0, +)
        XCTAssertLessThan(decibels(images / total), -90, "energy above the old Nyquist frequency")
    }
}
