import Foundation
import XCTest

@testable import UpturnKit

/// The control socket belongs to its user alone: checked with SO_PEERCRED at both ends,
/// against a real process of another user (`nobody`, through setpriv).
final class SocketPeerTests: XCTestCase {
    let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]

    override func setUpWithError() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv to run a process as another user")
        }
    }

    /// Another user's `upturn ctl stop` is refused by the player, and nothing happens.
    func testThePlayerRefusesAnotherUsersClient() throws {
        let name = "@upturn-peer-\(getpid())"
        let queue = ControlQueue(signals: { (0, 0, 0) })
        let socket = ControlSocket(path: name, status: { "{}" })
        try socket.start(queue)
        defer { socket.stop() }
        let out = Upturn.file("peer-ctl.err")
        let child = try Child("/usr/bin/setpriv", asNobody + [Upturn.binary, "ctl", "stop", "--socket", name], environment: Upturn.baseEnvironment, stderr: out)
        XCTAssertTrue(child.finish(timeout: 30))
        XCTAssertEqual(child.terminationStatus, 64)
        let stderr = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        XCTAssertTrue(stderr.contains("belongs to another user"), stderr)
        XCTAssertEqual(queue.take(), [], "the stop of another user did nothing")
        // This user's own goes through.
        XCTAssertEqual(try ControlSocket.send("stop", to: name), "ok")
    }

    /// A socket that another user put where ours would be, answering "ok" to everything, is
    /// refused by `ctl`: its "ok" would have said a session stopped that plays on.
    func testCtlRefusesAFakePlayerOfAnotherUser() throws {
        let name = "upturn-fake-\(getpid())"
        let fake = """
            import socket, sys
            s = socket.socket(socket.AF_UNIX); s.bind("\\0\(name)"); s.listen(4)
            print("ready", flush=True)
            for _ in range(4):
                c, _ = s.accept()
                try:
                    c.recv(100); c.sendall(b"ok\\n")
                except OSError:
                    pass
                c.close()
            """
        let ready = Upturn.file("fake-\(getpid()).out")
        let child = try Child("/usr/bin/setpriv", asNobody + ["/usr/bin/python3", "-c", fake], environment: Upturn.baseEnvironment, stdout: ready)
        defer { child.terminate(); _ = child.finish(timeout: 5) }
        for _ in 0..<100 where ((try? String(contentsOfFile: ready, encoding: .utf8)) ?? "").isEmpty { usleep(50_000) }
        XCTAssertThrowsError(try ControlSocket.send("stop", to: "@" + name)) { error in
            XCTAssertEqual((error as! UpturnError).code, .unavailable)
            XCTAssertTrue("\(error)".contains("belongs to another user"), "\(error)")
        }
        let result = try Upturn.run(["ctl", "stop", "--socket", "@" + name])
        XCTAssertEqual(result.status, 69)
        XCTAssertTrue(result.stderr.contains("it is not your player"), result.stderr)
    }
}
