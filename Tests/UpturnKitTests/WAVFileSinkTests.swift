import Foundation
import XCTest

@testable import UpturnKit

/// `render --output FILE` replaces FILE only with a whole render (issue 18: it truncated
/// FILE at the start, and a render that failed left a broken file where the old one was).
final class WAVFileSinkTests: XCTestCase {
    func testAFailedRenderLeavesTheOldFileAndNoTemporary() throws {
        let folder = temporaryFolder()
        let path = folder + "/o"
        let old = Data("the old render".utf8)
        FileManager.default.createFile(atPath: path, contents: old)
        let samples = [Int16](repeating: 1000, count: 48_000)
        let failing = try WAVFileSink(path: path, rate: 48_000)
        _ = try samples.withUnsafeBufferPointer { try failing.write($0, wakeFD: nil) }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), old, "the old file is untouched while rendering")
        failing.abort()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), old)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["o"])

        let whole = try WAVFileSink(path: path, rate: 48_000)
        _ = try samples.withUnsafeBufferPointer { try whole.write($0, wakeFD: nil) }
        try whole.finish()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)).count, 44 + samples.count * 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["o"])
    }

    /// A device is written in place, never renamed over.
    func testADeviceIsWrittenInPlace() throws {
        let sink = try WAVFileSink(path: "/dev/null", rate: 8_000)
        _ = try [Int16](repeating: 1, count: 800).withUnsafeBufferPointer { try sink.write($0, wakeFD: nil) }
        try sink.finish()
        var info = stat()
        XCTAssertEqual(stat("/dev/null", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR)
    }
}
