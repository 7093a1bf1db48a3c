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

    /// A file read a line at a time (the 3.5 MB pronunciation dictionary, in flat memory):
    /// every line whole, across the 64 KB reads, the last one without its newline too; a
    /// file over the limit is refused before a line is read.
    func testAFileIsReadALineAtATime() throws {
        let folder = temporaryFolder()
        let path = folder + "/lines.txt"
        let lines = (0..<20_000).map { "line \($0) " + String(repeating: "x", count: $0 % 37) }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data((lines.joined(separator: "\n") + "\n\nlast").utf8)))
        var read: [String] = []
        try FileBytes.forEachLine(path, limit: 1 << 20, what: "lines") { read.append(String(decoding: $0, as: UTF8.self)) }
        XCTAssertEqual(read, lines + ["", "last"])
        let message = Self.refusal { try FileBytes.forEachLine(path, limit: 1000, what: "lines") { _ in XCTFail("a line of a file too large") } }
        XCTAssertTrue(message.contains("lines.txt: lines is larger than"), message)
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
