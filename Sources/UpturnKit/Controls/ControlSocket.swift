import Foundation
import Synchronization

/// The control socket: a Unix stream socket taking one command per line
/// (pause, resume, toggle, skip, back, stop, status). Replies one line: `ok`, the status
/// JSON, or `error: ...`. Mode 0600. A stale socket left by a dead player is replaced;
/// a live one is never stolen.
public final class ControlSocket: ControlSource, @unchecked Sendable {
    public let path: String
    private let status: @Sendable () -> String
    private var listenFD: Int32 = -1
    /// Wakes the socket thread, which otherwise sleeps in `poll` until a client comes.
    private var wake: WakePipe?
    private var thread: Thread?
    private let stopping = Atomic<Bool>(false)
    /// `start [PLAN]` (for `upturn serve`): returns the reply line. Without it, `start` is
    /// refused: a player is already playing.
    public var onStart: (@Sendable (String?) -> String)?

    /// `$XDG_RUNTIME_DIR/upturn/control.sock`, or `/tmp/upturn-UID/control.sock` without one.
    public static var defaultPath: String {
        if let runtime = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            return runtime + "/upturn/control.sock"
        }
        return "/tmp/upturn-\(getuid())/control.sock"
    }

    public init(path: String = ControlSocket.defaultPath, status: @escaping @Sendable () -> String) {
        self.path = path
        self.status = status
    }

    static func address(_ path: String) throws(UpturnError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw UpturnError.usage("control socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// Connects to a socket; nil when nobody listens.
    static func connect(_ path: String) throws(UpturnError) -> Int32? {
        let address = try address(path)
        guard let fd = try? SystemCall.unixSocket() else { return nil }
        do throws(Errno) { try SystemCall.connect(fd, address) } catch {
            SystemCall.close(fd)
            return nil
        }
        return fd
    }

    public func start(_ queue: ControlQueue) throws(UpturnError) {
        let folder = (path as NSString).deletingLastPathComponent
        mkdir(folder, 0o700)
        if FileManager.default.fileExists(atPath: path) {
            if let live = try Self.connect(path) {
                SystemCall.close(live)
                throw UpturnError.unavailable(
                    "another player is using the control socket \(path); stop it first (`upturn ctl stop`)")
            }
            unlink(path)  // stale: its player is gone
        }
        let address = try Self.address(path)
        let fd: Int32
        do throws(Errno) { fd = try SystemCall.unixSocket() } catch {
            throw UpturnError.system(.unavailable, "cannot make the control socket", error)
        }
        let previous = umask(0o177)
        do throws(Errno) { try SystemCall.listen(fd, address, backlog: 8) } catch {
            umask(previous)
            SystemCall.close(fd)
            throw UpturnError.system(.unavailable, "cannot listen on the control socket \(path)", error)
        }
        umask(previous)
        chmod(path, 0o600)
        let wake: WakePipe
        do throws(UpturnError) { wake = try WakePipe() } catch {
            SystemCall.close(fd)
            unlink(path)
            throw error
        }
        listenFD = fd
        self.wake = wake
        let thread = Thread(named: "upturn-socket") { [self, listening = fd] in self.serve(queue, listening: listening, wake: wake) }
        self.thread = thread
        thread.start()
    }

    private func serve(_ queue: ControlQueue, listening: Int32, wake: WakePipe) {
        defer {
            SystemCall.close(listening)
            wake.closeReadEnd()
        }
        while !wake.isWoken {
            var fds = [pollfd(fd: listening, events: Int16(POLLIN), revents: 0), wake.pollEntry]
            guard (try? SystemCall.poll(&fds, milliseconds: -1)) ?? 0 > 0, fds[1].revents == 0 else { continue }
            guard fds[0].revents & Int16(POLLIN) != 0, let client = try? SystemCall.accept(listening) else { continue }
            handle(client, queue)
            SystemCall.close(client)
        }
    }

    /// Reads commands, one per line, until the client closes or goes quiet for a second.
    private func handle(_ client: Int32, _ queue: ControlQueue) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while buffer.count < 4096 {
            guard SystemCall.waitReadable(client, milliseconds: 1000), let n = try? SystemCall.read(client, into: &chunk), n > 0 else {
                return
            }
            buffer += chunk[0..<n]
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                buffer.removeSubrange(...newline)
                reply(client, answer(line, queue) + "\n")
            }
        }
    }

    private func answer(_ line: String, _ queue: ControlQueue) -> String {
        if line == "status" { return status() }
        if line == "start" || line.hasPrefix("start ") {
            let plan = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
            guard let onStart else { return "error: a session is already playing; `start` is for `upturn serve`" }
            return onStart(plan.isEmpty ? nil : plan)
        }
        if let command = ControlCommand(rawValue: line) {
            queue.post(command)
            return "ok"
        }
        return "error: unknown command '\(line.prefix(40))'; use pause, resume, toggle, skip, back, stop, status or start [PLAN]"
    }

    private func reply(_ client: Int32, _ text: String) {
        // A client that left before its answer costs nothing.
        try? SystemCall.send(client, Array(text.utf8))
    }

    public func stop() {
        guard !stopping.exchange(true, ordering: .relaxed), listenFD >= 0 else { return }
        unlink(path)
        wake?.wake()  // the socket thread wakes and closes the listening socket
        listenFD = -1
    }

    /// Sends one command to a running player and returns its reply line.
    public static func send(_ command: String, to path: String) throws(UpturnError) -> String {
        guard let fd = try connect(path) else {
            throw UpturnError.unavailable("no player is running (nothing listens on \(path))")
        }
        defer { SystemCall.close(fd) }
        do throws(Errno) { try SystemCall.send(fd, Array((command + "\n").utf8)) } catch {
            throw UpturnError.system(.unavailable, "the player at \(path) did not take the command", error)
        }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while !reply.contains(0x0A) {
            guard SystemCall.waitReadable(fd, milliseconds: 3000) else { throw UpturnError.unavailable("the player at \(path) did not answer") }
            guard let n = try? SystemCall.read(fd, into: &chunk), n > 0 else { break }
            reply += chunk[0..<n]
        }
        return String(decoding: reply, as: UTF8.self).trimmingCharacters(in: .newlines)
    }
}
