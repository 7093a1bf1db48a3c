import Glibc

/// The one place Upturn calls the kernel: every raw POSIX call goes through a thin function
/// here, which retries a call interrupted by a signal (EINTR) and turns -1 into a typed
/// `Errno`. In the manner of swift-system's `Syscalls.swift`: the rest of the engine never
/// reads `errno` or calls `poll`, `read`, `write`, `ioctl`, `socket` or `open` itself.
enum SystemCall {
    /// Runs `call` until a signal does not interrupt it; -1 becomes the errno it left.
    @inline(__always)
    private static func retrying<Result: FixedWidthInteger>(_ call: () -> Result) throws(Errno) -> Result {
        while true {
            let result = call()
            if result != -1 { return result }
            let error = Errno.current
            if error != .interrupted { throw error }
        }
    }

    /// The corresponding C function is `open`; the descriptor is always close-on-exec.
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) throws(Errno) -> Int32 {
        try retrying { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// Never retried: Linux frees the descriptor even when a signal interrupts `close`.
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Clears O_NONBLOCK: reads wait again.
    static func setBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    }

    /// Closes, and says whether the data was written (an NFS or quota error shows here).
    static func closeReporting(_ fd: Int32) throws(Errno) {
        if Glibc.close(fd) != 0 { throw Errno.current }
    }

    /// Reads what is there, at most the buffer's size; 0 at the end of the file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        return try retrying { Glibc.read(fd, base, buffer.count) }
    }

    static func read(_ fd: Int32, into bytes: inout [UInt8]) throws(Errno) -> Int {
        try bytes.withUnsafeMutableBytes { raw in Result { () throws(Errno) in try read(fd, into: raw) } }.get()
    }

    /// Fills the whole buffer; false when the file ends first or a read fails.
    static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        var offset = 0
        while offset < buffer.count {
            guard let n = try? read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[offset...])), n > 0 else { return false }
            offset += n
        }
        return true
    }

    /// The byte at `offset`, without moving the file's position. The C function is `pread`.
    static func readByte(_ fd: Int32, at offset: Int) throws(Errno) -> UInt8? {
        var byte: UInt8 = 0
        let n = try retrying { pread(fd, &byte, 1, off_t(offset)) }
        return n == 1 ? byte : nil
    }

    /// Writes the file's data through to the disk. The C function is `fsync`.
    static func sync(_ fd: Int32) throws(Errno) {
        _ = try retrying { fsync(fd) }
    }

    /// Writes what the descriptor takes now; the count written.
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        return try retrying { Glibc.write(fd, base, bytes.count) }
    }

    /// Writes every byte, in as many calls as it takes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            offset += try write(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
        try bytes.withUnsafeBytes { raw in Result { () throws(Errno) in try writeAll(fd, raw) } }.get()
    }

    /// The corresponding C function is `pwrite`: writes at an offset without moving the file's position.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int) throws(Errno) {
        var done = 0
        while done < bytes.count {
            let at = done
            done += try retrying {
                bytes.withUnsafeBytes { raw in Glibc.pwrite(fd, raw.baseAddress! + at, raw.count - at, off_t(offset + at)) }
            }
        }
    }

    /// Sends on a socket without SIGPIPE when the peer has gone (MSG_NOSIGNAL).
    static func send(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let at = offset
            offset += try retrying {
                bytes.withUnsafeBytes { raw in Glibc.send(fd, raw.baseAddress! + at, raw.count - at, Int32(MSG_NOSIGNAL)) }
            }
        }
    }

    /// Writes one byte to wake a poller; safe in a signal handler (no allocation, no lock).
    /// A full pipe already wakes its reader, so a failure is of no account.
    static func poke(_ fd: Int32) {
        var one: UInt8 = 1
        _ = Glibc.write(fd, &one, 1)
    }

    /// Reads and discards what a non-blocking pipe holds.
    static func drain(_ fd: Int32) {
        var scratch = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &scratch, { Glibc.read(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Waits for one of `fds` to be ready, at most `milliseconds` (-1: for good); the number
    /// ready, 0 on a timeout. A signal does not end the wait early: it goes on for the time left.
    static func poll(_ fds: inout [pollfd], milliseconds: Int32) throws(Errno) -> Int {
        let deadline = milliseconds < 0 ? nil : MonotonicClock.now + Double(milliseconds) / 1000
        var timeout = milliseconds
        while true {
            let ready = fds.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), timeout) }
            if ready >= 0 { return Int(ready) }
            let error = Errno.current
            guard error == .interrupted else { throw error }
            if let deadline { timeout = Int32(max(0, (deadline - MonotonicClock.now) * 1000).rounded(.up)) }
        }
    }

    /// One descriptor, for reading: true when it became readable (or hung up) in time.
    static func waitReadable(_ fd: Int32, milliseconds: Int32) -> Bool {
        waitReadable(any: [fd], milliseconds: milliseconds)
    }

    /// Any of `fds` (-1s are skipped) for reading: true when one became readable in time.
    static func waitReadable(any fds: [Int32], milliseconds: Int32) -> Bool {
        var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        return ((try? poll(&entries, milliseconds: milliseconds)) ?? 0) > 0
    }

    /// The corresponding C function is `rename`: atomic within a file system.
    static func rename(_ from: String, to: String) throws(Errno) {
        _ = try retrying { Glibc.rename(from, to) }
    }

    /// The corresponding C function is `chmod`.
    @discardableResult
    static func chmod(_ path: String, _ mode: mode_t) -> Bool { Glibc.chmod(path, mode) == 0 }

    /// Routes `signal` to `handler` without SA_RESTART, so a waiting `poll` wakes up.
    static func handle(_ signal: Int32, with handler: @convention(c) (Int32) -> Void) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        _ = sigaction(signal, &action, nil)
    }

    /// Ignores `signal` (SIGPIPE: a closed stdout never ends a session).
    static func ignore(_ signal: Int32) { _ = Glibc.signal(signal, SIG_IGN) }

    /// The terminal's mode, or nil when `fd` is not one.
    static func terminalMode(_ fd: Int32) -> termios? {
        var mode = termios()
        return tcgetattr(fd, &mode) == 0 ? mode : nil
    }

    /// Sets the terminal's mode with SIGTTOU blocked on this thread, so a process moved to
    /// the background (Ctrl-Z, then `bg`) sets it instead of stopping.
    static func setTerminalMode(_ fd: Int32, _ mode: termios) {
        var mode = mode
        var block = sigset_t(), old = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGTTOU)
        pthread_sigmask(SIG_BLOCK, &block, &old)
        tcsetattr(fd, TCSANOW, &mode)
        pthread_sigmask(SIG_SETMASK, &old, nil)
    }

    /// Whether `fd` is a terminal whose foreground process group is this process's.
    static func ownsTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 && tcgetpgrp(fd) == getpgrp() }

    /// Sleeps; the rest of a sleep a signal cut short is not slept.
    static func sleep(milliseconds: Int) { _ = usleep(useconds_t(max(0, milliseconds) * 1000)) }

    /// The corresponding C function is `ioctl`.
    static func ioctl(_ fd: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer) throws(Errno) {
        _ = try retrying { Glibc.ioctl(fd, request, argument) }
    }

    /// A pipe whose ends are close-on-exec, and non-blocking when asked.
    static func pipe(nonBlocking: Bool) throws(Errno) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        _ = try retrying { Glibc.pipe(&ends) }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            if nonBlocking { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        }
        return (ends[0], ends[1])
    }

    /// A Unix stream socket, close-on-exec.
    static func unixSocket() throws(Errno) -> Int32 {
        try retrying { Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
    }

    /// `length`: of the address's used part (an abstract name's bytes count, a NUL too).
    static func connect(_ fd: Int32, _ address: sockaddr_un, length: socklen_t) throws(Errno) {
        var address = address
        _ = try retrying {
            withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) } }
        }
    }

    /// Binds and listens.
    static func listen(_ fd: Int32, _ address: sockaddr_un, length: socklen_t, backlog: Int32) throws(Errno) {
        var address = address
        _ = try retrying {
            withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) } }
        }
        _ = try retrying { Glibc.listen(fd, backlog) }
    }

    /// A new connection, close-on-exec and non-blocking.
    static func accept(_ fd: Int32) throws(Errno) -> Int32 {
        let client = try retrying { Glibc.accept(fd, nil, nil) }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        return client
    }

    /// The user running the process at the other end of a Unix socket. The C call is
    /// `getsockopt(SO_PEERCRED)`; `struct ucred` is {pid, uid, gid}.
    static func peerUser(_ fd: Int32) throws(Errno) -> uid_t {
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        _ = try retrying { getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) }
        return credentials.uid
    }

    /// Sends what the socket takes now, without waiting (a client that does not read gets
    /// EAGAIN, not a stuck server) and without SIGPIPE.
    static func sendNow(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) -> Int {
        try retrying { bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) } }
    }

    /// The corresponding C function is `lstat`: a symbolic link is itself, not followed.
    static func linkStatus(_ path: String) throws(Errno) -> stat {
        var info = stat()
        _ = try retrying { lstat(path, &info) }
        return info
    }

    /// The corresponding C function is `unlink`.
    static func unlink(_ path: String) throws(Errno) {
        _ = try retrying { Glibc.unlink(path) }
    }

    /// The corresponding C function is `stat`: follows a symbolic link.
    static func fileStatus(_ path: String) throws(Errno) -> stat {
        var info = stat()
        _ = try retrying { stat(path, &info) }
        return info
    }

    /// The corresponding C function is `fstat`.
    static func fileStatus(_ fd: Int32) throws(Errno) -> stat {
        var info = stat()
        _ = try retrying { fstat(fd, &info) }
        return info
    }

    /// The corresponding C function is `access`.
    static func checkAccess(_ path: String, _ mode: Int32) throws(Errno) {
        _ = try retrying { access(path, mode) }
    }

    static func mkdir(_ path: String, mode: mode_t) throws(Errno) {
        _ = try retrying { Glibc.mkdir(path, mode) }
    }
}
