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

    /// Connects to a socket; -1 with errno set when nobody listens.
    static func connect(_ path: String) throws(UpturnError) -> Int32 {
        var address = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result != 0 {
            let saved = errno
            close(fd)
            errno = saved
            return -1
        }
        return fd
    }

    public func start(_ queue: ControlQueue) throws(UpturnError) {
        let folder = (path as NSString).deletingLastPathComponent
        mkdir(folder, 0o700)
        if FileManager.default.fileExists(atPath: path) {
            let live = try Self.connect(path)
            if live >= 0 {
                close(live)
                throw UpturnError.unavailable(
                    "another player is using the control socket \(path); stop it first (`upturn ctl stop`)")
            }
            unlink(path)  // stale: its player is gone
        }
        var address = try Self.address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw UpturnError.unavailable("cannot make the control socket: \(String(cString: strerror(errno)))") }
        let previous = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previous)
        guard bound == 0, listen(fd, 8) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw UpturnError.unavailable("cannot listen on the control socket \(path): \(reason)")
        }
        chmod(path, 0o600)
        let wake: WakePipe
        do throws(UpturnError) { wake = try WakePipe() } catch {
            close(fd)
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
            close(listening)
            wake.closeReadEnd()
        }
        while !wake.isWoken {
            var fds = [pollfd(fd: listening, events: Int16(POLLIN), revents: 0), wake.pollEntry]
            guard poll(&fds, 2, -1) > 0, fds[1].revents == 0 else { continue }
            guard fds[0].revents & Int16(POLLIN) != 0 else { continue }
            let client = accept(listening, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            handle(client, queue)
            close(client)
        }
    }

    /// Reads commands, one per line, until the client closes or goes quiet for a second.
    private func handle(_ client: Int32, _ queue: ControlQueue) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while buffer.count < 4096 {
            var fds = [pollfd(fd: client, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 1000) > 0 else { return }
            let n = read(client, &chunk, chunk.count)
            guard n > 0 else { return }
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
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    public func stop() {
        guard !stopping.exchange(true, ordering: .relaxed), listenFD >= 0 else { return }
        unlink(path)
        wake?.wake()  // the socket thread wakes and closes the listening socket
        listenFD = -1
    }

    /// Sends one command to a running player and returns its reply line.
    public static func send(_ command: String, to path: String) throws(UpturnError) -> String {
        let fd = try connect(path)
        guard fd >= 0 else {
            throw UpturnError.unavailable("no player is running (nothing listens on \(path))")
        }
        defer { close(fd) }
        let bytes = Array((command + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while !reply.contains(0x0A) {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 3000) > 0 else { throw UpturnError.unavailable("the player at \(path) did not answer") }
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { break }
            reply += chunk[0..<n]
        }
        return String(decoding: reply, as: UTF8.self).trimmingCharacters(in: .newlines)
    }
}
