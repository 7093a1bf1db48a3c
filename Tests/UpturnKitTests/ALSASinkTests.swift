import Foundation
import XCTest

@testable import UpturnKit

/// A PCM that plays a script: each write takes the next result (a frame count it accepts at
/// most, or a negative ALSA code), as a real device under load, suspend or unplugging does.
final class FakePCM: PCM {
    let periodFrames = 480
    let bufferFrames = 1920
    var state: PCMState = .running
    var script: [Int]
    /// Frames of room `availableFrames` reports.
    var room = Int.max
    /// What `pollEvents` reports.
    var events = Int32(POLLOUT)
    var recoverResult: Int32 = 0
    private(set) var taken: [Int16] = []
    private(set) var recovered: [Int32] = []
    private(set) var polls = 0
    private(set) var closed = false
    /// A pipe holding one byte: polls readable at once, as a device with room does.
    private let ready: (read: Int32, write: Int32)

    init(_ script: [Int] = []) {
        self.script = script
        ready = try! SystemCall.pipe(nonBlocking: true)
        SystemCall.poke(ready.write)
    }

    deinit {
        SystemCall.close(ready.read)
        SystemCall.close(ready.write)
    }

    func availableFrames() -> Int { room }

    func write(_ frames: UnsafeBufferPointer<Int16>) -> Int {
        var n = frames.count
        if !script.isEmpty {
            let next = script.removeFirst()
            if next < 0 { return next }
            n = min(n, next)
        }
        taken += frames.prefix(n)
        return n
    }

    func recover(_ code: Int32) -> Int32 {
        recovered.append(code)
        return recoverResult
    }

    func pollDescriptors() -> [pollfd] { [pollfd(fd: ready.read, events: Int16(POLLIN), revents: 0)] }

    func pollEvents(_ fds: [pollfd]) -> Int32 {
        polls += 1
        // Room comes with the poll, as it does on a device that played a period.
        room = Int.max
        return events
    }

    func dropAndPrepare() {}
    func delay() -> Int { 0 }
    func drainAndClose() { closed = true }
    func dropAndClose() { closed = true }
}

final class ALSASinkTests: XCTestCase {
    let frames = (0..<2000).map { Int16($0 % 1000) }

    func sink(_ pcm: FakePCM) throws -> ALSASink {
        try ALSASink(device: "fake", rate: 48_000) { () throws(UpturnError) -> any PCM in pcm }
    }

    func write(_ pcm: FakePCM, wakeFD: Int32? = nil) throws -> Int {
        let sink = try sink(pcm)
        return try frames.withUnsafeBufferPointer { buffer in try sink.write(buffer, wakeFD: wakeFD) }
    }

    func lost(_ pcm: FakePCM, file: StaticString = #filePath, line: UInt = #line) -> UpturnError? {
        do {
            _ = try write(pcm)
            XCTFail("the write should have given the device up", file: file, line: line)
            return nil
        } catch let error as UpturnError {
            XCTAssertEqual(error.code, .unavailable, file: file, line: line)
            return error
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    func testShortWritesGoOnUntilEveryFrameIsTaken() throws {
        let pcm = FakePCM([100, 1, 0, 333])
        XCTAssertEqual(try write(pcm), frames.count)
        XCTAssertEqual(pcm.taken, frames)
    }

    func testAFullBufferWaitsForRoomThenWrites() throws {
        let pcm = FakePCM([-Int(EAGAIN), -Int(EAGAIN)])
        XCTAssertEqual(try write(pcm), frames.count)
        XCTAssertEqual(pcm.polls, 2, "each -EAGAIN waits in poll once")
        XCTAssertEqual(pcm.recovered, [], "-EAGAIN needs no recovery")
        XCTAssertEqual(pcm.taken, frames)
    }

    func testLittleRoomWaitsBeforeWriting() throws {
        let pcm = FakePCM()
        pcm.room = 10
        XCTAssertEqual(try write(pcm), frames.count)
        XCTAssertEqual(pcm.polls, 1)
    }

    func testUnderrunSuspendAndInterruptAreRecoveredInPlace() throws {
        let pcm = FakePCM([500, -Int(EPIPE), -Int(ESTRPIPE), -Int(EINTR)])
        XCTAssertEqual(try write(pcm), frames.count)
        XCTAssertEqual(pcm.recovered, [-EPIPE, -ESTRPIPE, -EINTR])
        XCTAssertEqual(pcm.taken, frames, "nothing lost or doubled around a recovery")
    }

    func testAGoneDeviceIsLostWithItsCause() throws {
        let pcm = FakePCM([100, -Int(ENODEV)])
        let error = try XCTUnwrap(lost(pcm))
        XCTAssertEqual(error.lostDevice, .failed(.deviceLost))
        XCTAssertTrue(error.description.contains("'fake' was lost"), error.description)
        XCTAssertEqual(pcm.recovered, [], "a gone device is not recovered in place")
    }

    func testAFailedRecoveryLosesTheDevice() throws {
        let pcm = FakePCM([-Int(EPIPE)])
        pcm.recoverResult = -EIO
        XCTAssertEqual(lost(pcm)?.lostDevice, .failed(.underrun))
    }

    func testADeviceThatKeepsUnderrunningIsGivenUp() throws {
        let pcm = FakePCM(Array(repeating: -Int(EPIPE), count: ALSASink.recoveryLimit + 5))
        XCTAssertEqual(lost(pcm)?.lostDevice, .keepsFailing(.underrun))
        XCTAssertEqual(pcm.recovered.count, ALSASink.recoveryLimit + 1)
    }

    func testAnOddCodeFromADisconnectedDeviceSaysDisconnected() throws {
        let pcm = FakePCM([-Int(EIO)])
        pcm.state = .disconnected
        XCTAssertEqual(lost(pcm)?.lostDevice, .disconnected)
        let other = FakePCM([-Int(EBADFD)])
        XCTAssertEqual(lost(other)?.lostDevice, .failed(ALSAError(code: -EBADFD).device))
    }

    func testAHungUpPollIsADisconnectedDevice() throws {
        let pcm = FakePCM([-Int(EAGAIN)])
        pcm.events = Int32(POLLHUP)
        XCTAssertEqual(lost(pcm)?.lostDevice, .disconnected)
    }

    func testAControlWakesAWaitingWriteWithWhatWasTaken() throws {
        let pcm = FakePCM([300, -Int(EAGAIN)])
        let wake = try SystemCall.pipe(nonBlocking: true)
        defer {
            SystemCall.close(wake.read)
            SystemCall.close(wake.write)
        }
        SystemCall.poke(wake.write)
        XCTAssertEqual(try write(pcm, wakeFD: wake.read), 300, "the write returns at the wake, with the frames taken so far")
    }

    func testReopenOpensANewPCMAndAClosedSinkSaysClosed() throws {
        var opened: [FakePCM] = []
        let sink = try ALSASink(device: "fake", rate: 48_000) { () throws(UpturnError) -> any PCM in
            opened.append(FakePCM())
            return opened.last!
        }
        try sink.reopen()
        XCTAssertEqual(opened.count, 2)
        XCTAssertTrue(opened[0].closed, "the old PCM is closed before the new one opens")
        sink.abort()
        do {
            _ = try frames.withUnsafeBufferPointer { try sink.write($0, wakeFD: nil) }
            XCTFail("a closed sink cannot write")
        } catch let error as UpturnError {
            XCTAssertEqual(error.lostDevice, .closed)
        }
    }
}
