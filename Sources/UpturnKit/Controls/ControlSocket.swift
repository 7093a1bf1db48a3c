import Foundation
import Synchronization

/// The control socket: a Unix stream socket taking one command per line
/// (pause, resume, toggle, skip, back, stop, status). Replies one line: `ok`, the status
/// JSON, or `error: ...`.
///
/// It belongs to its user alone, as OpenSSH's and tmux's do: its folder is made with mode
/// 0700 or refused when another user owns it or may write in it; the socket has mode 0600;
/// both ends check with SO_PEERCRED that the other runs as the same user (or root). A stale
/// socket or a link left at its path is replaced, never followed; a live one is never stolen.
/// Clients are served side by side, each with a deadline, so one that is slow or never
/// reads cannot hold up a `stop`. `@NAME` is an abstract socket (no file), peer-checked too.
public final class ControlSocket: ControlSource, @unchecked Sendable {
    // @unchecked: the settings are set before start(); then only the socket's thread
    // touches its state, and stop() only wakes it (WakePipe is Sendable).
    public let path: String
    private let status: @Sendable () -> String
    /// Wakes the socket thread, which otherwise sleeps in `poll` until a client comes.
    private var wake: WakePipe?
    private var thread: Thread?
    private let stopping = Atomic<Bool>(false)
    private var listening = false
    /// `start [PLAN]` (for `upturn serve`): returns the reply line. Without it, `start` is
    /// refused: a player is already playing.
    public var onStart: (@Sendable (String?) -> String)?

    /// Clients served at once; past it, the oldest is let go to make room for a new one.
    static let maxClients = 16
    /// How long one client may take, from its connection: a `ctl` command takes milliseconds.
    static let clientSeconds = 2.0
    /// The longest line a client may send.
    static let maxLine = 4096

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

    private var isAbstract: Bool { path.hasPrefix("@") }

    /// A file system socket's address.
    static func address(_ path: String) throws(UpturnError) -> sockaddr_un {
        try addressAndLength(path).address
    }

    /// The address and its length: a path ends with a NUL; an abstract `@NAME` is a NUL and
    /// the name's bytes, no more.
    static func addressAndLength(_ path: String) throws(UpturnError) -> (address: sockaddr_un, length: socklen_t) {
        guard !path.isEmpty, path != "@" else {
            throw UpturnError.usage("the control socket needs a path (or @NAME for an abstract socket)")
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let abstract = path.hasPrefix("@")
        let bytes = abstract ? [0] + Array(path.utf8.dropFirst()) : Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path), !bytes.dropFirst().contains(0) else {
            throw UpturnError.usage("control socket path too long or not a path: \(path.prefix(120))")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let header = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        let length = abstract ? header + bytes.count : MemoryLayout<sockaddr_un>.size
        return (address, socklen_t(length))
    }

    /// A peer may control us (or be controlled by us) when it runs as this user or as root.
    static func trusted(_ uid: uid_t) -> Bool { uid == getuid() || uid == 0 }

    /// Connects to a socket; nil when nobody listens.
    static func connect(_ path: String) throws(UpturnError) -> Int32? {
        let (address, length) = try addressAndLength(path)
        guard let fd = try? SystemCall.unixSocket() else { return nil }
        do throws(Errno) { try SystemCall.connect(fd, address, length: length) } catch {
            SystemCall.close(fd)
            return nil
        }
        return fd
    }

    public func start(_ queue: ControlQueue) throws(UpturnError) {
        let (address, length) = try Self.addressAndLength(path)
        if !isAbstract {
            try SocketFolder.prepare(PathText.parent(path), isDefault: path == Self.defaultPath)
            try clearPath()
        }
        let fd: Int32
        do throws(Errno) { fd = try SystemCall.unixSocket() } catch {
            throw UpturnError.system(.unavailable, "cannot make the control socket", error)
        }
        let previous = umask(0o177)
        do throws(Errno) { try SystemCall.listen(fd, address, length: length, backlog: 8) } catch {
            umask(previous)
            SystemCall.close(fd)
            if error.rawValue == EADDRINUSE {
                throw UpturnError.unavailable("another player is using the control socket \(path); stop it first (`upturn ctl stop`)")
            }
            throw UpturnError.system(.unavailable, "cannot listen on the control socket \(path)", error)
        }
        umask(previous)
        if !isAbstract { SystemCall.chmod(path, 0o600) }
        let wake: WakePipe
        do throws(UpturnError) { wake = try WakePipe() } catch {
            SystemCall.close(fd)
            if !isAbstract { try? SystemCall.unlink(path) }
            throw error
        }
        listening = true
        self.wake = wake
        let thread = Thread(named: "upturn-socket") { [self, fd] in self.serve(queue, listening: fd, wake: wake) }
        self.thread = thread
        thread.start()
    }

    /// What is at the socket's path before we bind: nothing; a stale socket or a link
    /// (dangling or not), which is removed without following it; a live socket, which is
    /// another player's; or something else, which is not ours to remove.
    private func clearPath() throws(UpturnError) {
        guard let info = try? SystemCall.linkStatus(path) else { return }
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            break
        case S_IFSOCK:
            if let live = try Self.connect(path) {
                SystemCall.close(live)
                throw UpturnError.unavailable("another player is using the control socket \(path); stop it first (`upturn ctl stop`)")
            }
        default:
            throw UpturnError.unavailable("\(path) is there and is not a socket; remove it, or choose another --socket")
        }
        do throws(Errno) { try SystemCall.unlink(path) } catch {
            throw UpturnError.system(.unavailable, "\(path): cannot replace the stale control socket", error)
        }
    }

    /// One connection being served.
    private struct Client {
        let fd: Int32
        let deadline: Double
        var buffer: [UInt8] = []
    }

    private func serve(_ queue: ControlQueue, listening: Int32, wake: WakePipe) {
        var clients: [Client] = []
        defer {
            clients.forEach { SystemCall.close($0.fd) }
            SystemCall.close(listening)
            wake.closeReadEnd()
        }
        var chunk = [UInt8](repeating: 0, count: 512)
        while !wake.isWoken {
            let now = MonotonicClock.now
            // Clients past their deadline are let go.
            clients.removeAll { client in
                guard client.deadline <= now else { return false }
                SystemCall.close(client.fd)
                return true
            }
            var fds = [pollfd(fd: listening, events: Int16(POLLIN), revents: 0), wake.pollEntry]
            fds += clients.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let timeout = clients.map(\.deadline).min().map { Int32(max(0, ($0 - now) * 1000).rounded(.up)) + 1 } ?? -1
            guard (try? SystemCall.poll(&fds, milliseconds: timeout)) ?? 0 > 0, fds[1].revents == 0 else { continue }
            var gone: Set<Int32> = []
            for (i, entry) in fds.enumerated().dropFirst(2) where entry.revents != 0 {
                if !read(&clients[i - 2], chunk: &chunk, queue: queue) { gone.insert(clients[i - 2].fd) }
            }
            clients.removeAll { client in
                guard gone.contains(client.fd) else { return false }
                SystemCall.close(client.fd)
                return true
            }
            if fds[0].revents & Int16(POLLIN) != 0, let client = accept(listening) {
                if clients.count >= Self.maxClients {
                    SystemCall.close(clients.removeFirst().fd)
                }
                clients.append(Client(fd: client, deadline: MonotonicClock.now + Self.clientSeconds))
            }
        }
    }

    /// A new client, if it runs as this user (or root); another user's is told so and let go.
    private func accept(_ listening: Int32) -> Int32? {
        guard let client = try? SystemCall.accept(listening) else { return nil }
        guard let uid = try? SystemCall.peerUser(client), Self.trusted(uid) else {
            _ = try? SystemCall.sendNow(client, Array("error: this player belongs to another user\n".utf8))
            SystemCall.close(client)
            return nil
        }
        return client
    }

    /// Reads what a client sent and answers each whole line; false when it is to be let go
    /// (it closed, sent too long a line, or does not read its answers).
    private func read(_ client: inout Client, chunk: inout [UInt8], queue: ControlQueue) -> Bool {
        let n: Int
        do throws(Errno) { n = try SystemCall.read(client.fd, into: &chunk) } catch {
            return error == .wouldBlock
        }
        guard n > 0 else { return false }
        client.buffer += chunk[0..<n]
        for request in ControlRequest.take(from: &client.buffer) {
            let reply = Array((answer(request, queue) + "\n").utf8)
            guard let sent = try? SystemCall.sendNow(client.fd, reply), sent == reply.count else { return false }
        }
        guard client.buffer.count <= Self.maxLine else {
            // Said, not dropped: the client learns why it gets no other answer.
            _ = try? SystemCall.sendNow(client.fd, Array("error: a request is at most \(Self.maxLine) bytes\n".utf8))
            return false
        }
        return true
    }

    private func answer(_ request: ControlRequest, _ queue: ControlQueue) -> String {
        switch request {
        case .status:
            return status()
        case .start(let plan):
            guard let onStart else { return "error: a session is already playing; `start` is for `upturn serve`" }
            return onStart(plan)
        case .command(let command):
            queue.post(command)
            return "ok"
        case .unknown(let line):
            return "error: unknown command '\(TerminalText.safe(String(line.prefix(40))))'; use pause, resume, toggle, skip, back, stop, status or start [PLAN]"
        }
    }

    public func stop() {
        guard !stopping.exchange(true, ordering: .relaxed), listening else { return }
        if !isAbstract { try? SystemCall.unlink(path) }
        wake?.wake()  // the socket thread wakes and closes the listening socket
        listening = false
    }

    /// Sends one command to a running player and returns its reply line.
    public static func send(_ command: String, to path: String) throws(UpturnError) -> String {
        guard command.utf8.count < maxLine else {
            throw UpturnError.usage("the request is \(command.utf8.count) bytes; a player takes at most \(maxLine - 1)")
        }
        guard let fd = try connect(path) else {
            throw UpturnError.unavailable("no player is running (nothing listens on \(path))")
        }
        defer { SystemCall.close(fd) }
        // The player at the other end must be ours: a socket another user slipped in is not.
        guard let uid = try? SystemCall.peerUser(fd), trusted(uid) else {
            throw UpturnError.unavailable("the control socket \(path) belongs to another user; it is not your player")
        }
        // A player that refuses us answers and closes at once: read its answer even when
        // the command could not be sent.
        var failed: Errno?
        do throws(Errno) { try SystemCall.send(fd, Array((command + "\n").utf8)) } catch { failed = error }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while !reply.contains(0x0A) {
            guard SystemCall.waitReadable(fd, milliseconds: 3000) else { throw UpturnError.unavailable("the player at \(path) did not answer") }
            guard let n = try? SystemCall.read(fd, into: &chunk), n > 0 else { break }
            reply += chunk[0..<n]
        }
        if reply.isEmpty, let failed {
            throw UpturnError.system(.unavailable, "the player at \(path) did not take the command", failed)
        }
        if reply.isEmpty { throw UpturnError.unavailable("the player at \(path) closed the connection without an answer") }
        return String(decoding: reply, as: UTF8.self).trimmingCharacters(in: .newlines)
    }
}

/// One line a client sent on the control socket.
public enum ControlRequest: Equatable, Sendable {
    case command(ControlCommand)
    case status
    /// `start [PLAN]`, for `upturn serve`.
    case start(String?)
    case unknown(String)

    public init(line: String) {
        let line = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if line == "status" {
            self = .status
        } else if line == "start" || line.hasPrefix("start ") {
            let plan = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
            self = .start(plan.isEmpty ? nil : plan)
        } else if let command = ControlCommand(rawValue: line) {
            self = .command(command)
        } else {
            self = .unknown(line)
        }
    }

    /// The whole lines in `buffer` (taken out of it), oldest first; a part line stays.
    public static func take(from buffer: inout [UInt8]) -> [ControlRequest] {
        var requests: [ControlRequest] = []
        while let newline = buffer.firstIndex(of: 0x0A) {
            requests.append(ControlRequest(line: String(decoding: buffer[..<newline], as: UTF8.self)))
            buffer.removeSubrange(...newline)
        }
        return requests
    }
}

/// The folder a control socket lives in, checked as OpenSSH and tmux check theirs.
enum SocketFolder {
    /// The default folder (`/tmp/upturn-UID`, `$XDG_RUNTIME_DIR/upturn`) is made with mode
    /// 0700, and when it is there already it must be a folder of this user's that nobody else
    /// may enter. A folder named with --socket must be this user's or root's, and one that
    /// others may write in must be sticky (as /tmp is), so nobody can swap the socket.
    static func prepare(_ folder: String, isDefault: Bool) throws(UpturnError) {
        let folder = folder.isEmpty ? "." : folder
        if isDefault {
            do throws(Errno) { try SystemCall.mkdir(folder, mode: 0o700) } catch where error == .fileExists {} catch {
                throw UpturnError.system(.unavailable, "\(folder): cannot make the control socket's folder", error)
            }
        }
        let info: stat
        do throws(Errno) { info = try (isDefault ? SystemCall.linkStatus(folder) : SystemCall.fileStatus(folder)) } catch {
            throw UpturnError.system(.unavailable, "\(folder): cannot use it for the control socket", error)
        }
        let mode = info.st_mode & 0o7777
        let why: String?
        if info.st_mode & S_IFMT != S_IFDIR {
            why = "it is not a folder"
        } else if isDefault && info.st_uid != getuid() {
            why = "it belongs to user \(info.st_uid), not to you"
        } else if isDefault && mode & 0o077 != 0 {
            why = "others may use it (mode \(String(mode, radix: 8)))"
        } else if !isDefault && info.st_uid != getuid() && info.st_uid != 0 {
            why = "it belongs to user \(info.st_uid)"
        } else if !isDefault && mode & 0o022 != 0 && mode & 0o1000 == 0 {
            why = "others may write in it (mode \(String(mode, radix: 8)))"
        } else {
            why = nil
        }
        if let why {
            throw UpturnError.unavailable(
                "\(folder): not safe for the control socket: \(why); remove it, or choose another with --socket")
        }
    }
}
