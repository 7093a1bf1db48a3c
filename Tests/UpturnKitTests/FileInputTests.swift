import Foundation
import XCTest

@testable import UpturnKit

/// What is read from files the user names: a FIFO, a device or a folder where a plan, music,
/// a recording or a pack belongs is refused at once, never waited on or read for good.
final class FileInputTests: XCTestCase {
    /// Runs `body` on a thread and fails (instead of hanging the suite) when it takes long.
    func withinSeconds(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        Thread {
            body()
            done.signal()
        }.start()
        XCTAssertEqual(done.wait(timeout: .now() + seconds), .success, "\(what) hung")
    }

    static func refusal(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testAFIFOOrADeviceIsRefusedAtOnce() throws {
        let folder = temporaryFolder()
        let fifo = folder + "/plan.json5"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        withinSeconds(5, "a plan that is a FIFO") {
            let message = Self.refusal { _ = try PlanReader.read(file: fifo) }
            XCTAssertTrue(message.contains("it is a FIFO, not a file"), message)
        }
        withinSeconds(5, "music that is a FIFO") {
            let message = Self.refusal { _ = try MusicBed(path: fifo, rate: 48_000, levelDB: -20, duckDB: -12, loop: true) }
            XCTAssertTrue(message.contains("cannot read music: it is a FIFO"), message)
        }
        withinSeconds(5, "a recording that is a FIFO") {
            let message = Self.refusal { _ = try AudioDecoder.decode(file: fifo) }
            XCTAssertTrue(message.contains("it is a FIFO"), message)
        }
        withinSeconds(5, "music that is /dev/urandom") {
            let message = Self.refusal { _ = try MusicBed(path: "/dev/urandom", rate: 48_000, levelDB: -20, duckDB: -12, loop: true) }
            XCTAssertTrue(message.contains("it is a device, not a file"), message)
        }
        let message = Self.refusal { _ = try PlanReader.read(file: folder) }
        XCTAssertTrue(message.contains("it is a folder"), message)
        // A link to a FIFO is the FIFO.
        let link = folder + "/link.json5"
        symlink(fifo, link)
        withinSeconds(5, "a link to a FIFO") {
            XCTAssertTrue(Self.refusal { _ = try PlanReader.read(file: link) }.contains("it is a FIFO"))
        }
    }
}
