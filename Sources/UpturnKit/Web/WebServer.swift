import CMicroHTTPD
import Foundation
import Synchronization

/// Where `serve --web` listens: `[ADDR][:PORT]`, an IPv4 or IPv6 address (`[::1]:8080`)
/// or `localhost`; all IPv4 addresses and port 8080 when left out.
public struct WebAddress: Equatable, Sendable, CustomStringConvertible {
    public static let defaultPort: UInt16 = 8080
    public var host: String
    public var port: UInt16
    public var isIPv6: Bool { host.contains(":") }
    /// Reached from this box alone (127.0.0.0/8, ::1).
    public var isLoopback: Bool { host.hasPrefix("127.") || host == "::1" }

    public init(host: String = "0.0.0.0", port: UInt16 = WebAddress.defaultPort) {
        self.host = host
        self.port = port
    }

    /// Reads `--web`'s value (empty: the default). Usage errors (exit 64) name it.
    public static func parse(_ text: String) throws(UpturnError) -> WebAddress {
        var address = WebAddress()
        var rest = Substring(text)
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad(text) }
            address.host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { throw bad(text) }
        } else if let colon = rest.lastIndex(of: ":"), rest.filter({ $0 == ":" }).count == 1 {
            if colon != rest.startIndex { address.host = String(rest[..<colon]) }
            rest = rest[colon...]
        } else if !rest.isEmpty {
            address.host = String(rest)
            rest = ""
        }
        if rest.hasPrefix(":") {
            guard let port = UInt16(rest.dropFirst()) else { throw bad(text) }  // 0: any free port (logged)
            address.port = port
        }
        if address.host == "localhost" { address.host = "127.0.0.1" }
        guard address.socketAddress() != nil else { throw bad(text) }
        return address
    }

    private static func bad(_ text: String) -> UpturnError {
        UpturnError.usage("--web: '\(text.prefix(60))' is not [ADDR][:PORT] (e.g. :8080, 192.168.1.20:8080, [::]:8080)")
    }

    /// The address as the kernel takes it (nil when the host is not a numeric address).
    func socketAddress() -> [UInt8]? {
        if isIPv6 {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &a.sin6_addr) == 1 else { return nil }
            return withUnsafeBytes(of: a) { Array($0) }
        }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &a.sin_addr) == 1 else { return nil }
        return withUnsafeBytes(of: a) { Array($0) }
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The box's first IPv4 address on the LAN (not loopback): what the page's address is
    /// said and logged with when the server listens on every address.
    public static func localAddress() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var entry = list
        while let this = entry {
            defer { entry = this.pointee.ifa_next }
            guard let address = this.pointee.ifa_addr, Int32(address.pointee.sa_family) == AF_INET,
                this.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0, this.pointee.ifa_flags & UInt32(IFF_UP) != 0
            else { continue }
            if let text = text(of: address) { return text }
        }
        return nil
    }

    /// An IPv4 or IPv6 socket address's host, as text.
    static func text(of address: UnsafePointer<sockaddr>) -> String? {
        var text = [CChar](repeating: 0, count: 64)
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            var a = UnsafeRawPointer(address).load(as: sockaddr_in.self).sin_addr
            guard inet_ntop(AF_INET, &a, &text, 64) != nil else { return nil }
        case AF_INET6:
            var a = UnsafeRawPointer(address).load(as: sockaddr_in6.self).sin6_addr
            guard inet_ntop(AF_INET6, &a, &text, 64) != nil else { return nil }
        default: return nil
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// `--web-cert FILE --web-key FILE`: the page over HTTPS (GnuTLS, inside libmicrohttpd). Both
/// files are PEM; they are read when the command starts, so a missing one is exit 66 and a
/// file that is not PEM is exit 65, before the service runs.
public struct WebTLS: Sendable, Equatable {
    public var certificate: String
    public var key: String

    public init(certificate: String, key: String) {
        self.certificate = certificate
        self.key = key
    }

    public static func load(certificate certificatePath: String, key keyPath: String) throws(UpturnError) -> WebTLS {
        let certificate = try pem(certificatePath, kind: "a certificate", marker: "-----BEGIN CERTIFICATE-----")
        let key = try pem(keyPath, kind: "a private key", marker: "PRIVATE KEY-----")
        return WebTLS(certificate: certificate, key: key)
    }

    private static func pem(_ path: String, kind: String, marker: String) throws(UpturnError) -> String {
        let bytes = try FileBytes.read(path, limit: 64 * 1024, what: kind)
        guard let text = String(validating: bytes, as: UTF8.self), text.contains(marker) else {
            throw UpturnError.data("\(path):1:1: not \(kind) in PEM ('\(marker)' expected)")
        }
        return text
    }
}

/// The companion page's HTTP server, on libmicrohttpd (Debian's `libmicrohttpd12`, opened
/// when the server starts: see `CMicroHTTPD/shim.h`): one
/// thread per connection, so an event stream sleeps in `poll` on its own thread and nothing
/// the page does runs on the audio thread. Limits keep a slow client or a crowd from hurting
/// the box: 64 connections, 16 from one address, 15 s of silence closes a connection, 64 KB
/// of headers, bodies over `WebApp.bodyLimit` refused before they are read.
/// (Measured against civetweb: see ARCHITECTURE.md.)
public final class WebServer: @unchecked Sendable {
    // @unchecked: `daemon` is set once in `start` and cleared once in `stop`, both on the
    // service's thread; MHD's threads only read `app`, `bodyLimit` and `stopping` (Sendable).
    public static let connectionLimit: UInt32 = 64
    public static let perAddressLimit: UInt32 = 16
    public static let timeoutSeconds: UInt32 = 15
    /// How often an idle event stream says it is alive (a comment line): well inside the
    /// connection timeout, so a quiet stream is never taken for a dead client.
    static let keepAliveMilliseconds: Int32 = 10_000

    let app: WebApp
    /// Caps every body (tests lower it); each route's own limit applies under it.
    let bodyLimit: Int
    let stopping: WakePipe
    private var daemon: OpaquePointer?
    private var pem: [UnsafeMutablePointer<CChar>?] = []
    public private(set) var port: UInt16 = 0

    public init(app: WebApp, bodyLimit: Int = WebApp.uploadLimit) throws(UpturnError) {
        self.app = app
        self.bodyLimit = bodyLimit
        stopping = try WakePipe()
    }

    /// Listens on `address` (over HTTPS with `tls`); 69 when it cannot (the port taken, the
    /// address not this box's, a certificate and key that do not match).
    public func start(_ address: WebAddress, tls: WebTLS? = nil) throws(UpturnError) {
        guard var bytes = address.socketAddress() else { throw UpturnError.usage("--web: cannot listen on \(address)") }
        if let why = upturn_web_load() {
            throw UpturnError.unavailable("--web: cannot open libmicrohttpd (\(String(cString: why))); install libmicrohttpd12")
        }
        let context = Unmanaged.passUnretained(self).toOpaque()
        // MHD keeps the PEM strings' pointers: they live until the server is stopped.
        if let tls { pem = [strdup(tls.certificate), strdup(tls.key)] }
        daemon = bytes.withUnsafeMutableBytes { raw in
            upturn_web_start(
                raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), address.isIPv6 ? 1 : 0,
                pem.first ?? nil, pem.last ?? nil,
                webAccess, context, webCompleted, context,
                Self.connectionLimit, Self.perAddressLimit, Self.timeoutSeconds, 64 * 1024)
        }
        guard let daemon else {
            let why = tls == nil ? "is the port taken, or the address not this box's?" : "is the port taken, or do --web-cert and --web-key not match?"
            throw UpturnError.unavailable("--web: cannot listen on \(address) (\(why))")
        }
        port = upturn_web_port(daemon)
    }

    /// Ends every event stream and stops listening (waits for the connections' threads).
    public func stop() {
        stopping.wake()
        if let daemon { upturn_web_stop(daemon) }
        daemon = nil
        for string in pem { free(string) }
        pem = []
    }

    deinit { stop() }

    fileprivate func bodyLimit(_ state: WebConnectionState) -> Int {
        min(bodyLimit, WebApp.bodyLimit(method: state.method, path: state.path))
    }
}

/// One request being read: kept by MHD between its calls of `webAccess`.
private final class WebConnectionState {
    let method: String
    let path: String
    var body: [UInt8] = []
    var tooLarge = false
    init(method: String, path: String) {
        self.method = method
        self.path = path
    }
}

/// An event stream: the status as JSON at once, then at every change, and a comment line
/// when nothing changed for a while.
private final class WebEventStream {
    let board: StatusBoard
    let subscription: StatusBoard.Subscription
    let stopping: WakePipe
    var pending: [UInt8] = []
    var first = true
    init(board: StatusBoard, subscription: StatusBoard.Subscription, stopping: WakePipe) {
        self.board = board
        self.subscription = subscription
        self.stopping = stopping
    }

    /// Up to `max` bytes of the stream; -1 when the service stops.
    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        if pending.isEmpty {
            if first {
                first = false
                pending = Array("retry: 1000\ndata: \(board.json)\n\n".utf8)
            } else {
                let woke = SystemCall.waitReadable(any: [subscription.fd, stopping.readFD], milliseconds: WebServer.keepAliveMilliseconds)
                if stopping.isWoken { return -1 }
                if woke, !subscription.take().isEmpty {
                    pending = Array("data: \(board.json)\n\n".utf8)
                } else {
                    pending = Array(": still here\n\n".utf8)
                }
            }
        }
        let count = min(max, pending.count)
        pending.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress!, byteCount: count) }
        pending.removeFirst(count)
        return count
    }
}

private func header(_ connection: OpaquePointer?, _ name: String) -> String? {
    upturn_web_header(connection, name).map { String(cString: $0) }
}

private func peer(_ connection: OpaquePointer?) -> String {
    upturn_web_peer(connection).flatMap(WebAddress.text) ?? "?"
}

private func send(_ connection: OpaquePointer?, _ response: WebResponse) -> MHD_Result {
    let made = response.body.withUnsafeBytes { bytes in
        upturn_web_response(bytes.count, bytes.baseAddress)
    }
    guard let made else { return MHD_Result.NO }
    defer { upturn_web_destroy(made) }
    upturn_web_add_header(made, "Content-Type", response.contentType)
    for (name, value) in WebPage.securityHeaders + response.headers { upturn_web_add_header(made, name, value) }
    return upturn_web_queue(connection, UInt32(response.status), made)
}

private let webAccess: MHD_AccessHandlerCallback = { context, connection, url, method, _, upload, uploadSize, slot in
    let server = Unmanaged<WebServer>.fromOpaque(context!).takeUnretainedValue()
    guard let slot, let uploadSize else { return MHD_Result.NO }
    guard let stateRaw = slot.pointee else {
        // The first call: the headers are in. A body announced too large is refused now,
        // before a byte of it is read.
        let state = WebConnectionState(method: method.map { String(cString: $0) } ?? "", path: url.map { String(cString: $0) } ?? "/")
        slot.pointee = Unmanaged.passRetained(state).toOpaque()
        if let length = header(connection, "Content-Length").flatMap(Int.init), length > server.bodyLimit(state) {
            state.tooLarge = true
            return send(connection, .error(413, "too large: at most \(server.bodyLimit(state) / 1024) KB"))
        }
        return MHD_Result.YES
    }
    let state = Unmanaged<WebConnectionState>.fromOpaque(stateRaw).takeUnretainedValue()
    if uploadSize.pointee > 0 {
        if state.tooLarge || state.body.count + uploadSize.pointee > server.bodyLimit(state) { return MHD_Result.NO }  // closes the connection
        if let upload { state.body += UnsafeRawBufferPointer(start: upload, count: uploadSize.pointee) }
        uploadSize.pointee = 0
        return MHD_Result.YES
    }
    if state.tooLarge { return MHD_Result.YES }
    var headers: [String: String] = [:]
    for name in ["Host", "Origin", "Cookie", "Content-Type", "X-Upturn-Words"] { headers[name] = header(connection, name) }
    let request = WebRequest(method: state.method, path: state.path, headers: headers, body: state.body, peer: peer(connection))
    let response = server.app.handle(request)
    guard response.streamsStatus else { return send(connection, response) }
    // The live view: an event stream, fed by the status board's pushes.
    guard let subscription = try? server.app.host.board.subscribe() else { return send(connection, .error(503, "cannot follow the status now")) }
    let stream = WebEventStream(board: server.app.host.board, subscription: subscription, stopping: server.stopping)
    let streamContext = Unmanaged.passRetained(stream).toOpaque()
    guard let made = upturn_web_stream(webStreamRead, streamContext, webStreamFree) else {
        Unmanaged<WebEventStream>.fromOpaque(streamContext).release()
        server.app.host.board.unsubscribe(subscription)
        return MHD_Result.NO
    }
    defer { upturn_web_destroy(made) }
    upturn_web_add_header(made, "Content-Type", response.contentType)
    for (name, value) in WebPage.securityHeaders + response.headers { upturn_web_add_header(made, name, value) }
    return upturn_web_queue(connection, 200, made)
}

private let webCompleted: MHD_RequestCompletedCallback = { _, _, slot, _ in
    guard let slot, let raw = slot.pointee else { return }
    Unmanaged<WebConnectionState>.fromOpaque(raw).release()
    slot.pointee = nil
}

private let webStreamRead: MHD_ContentReaderCallback = { context, _, buffer, max in
    guard let context, let buffer else { return -1 }
    return Unmanaged<WebEventStream>.fromOpaque(context).takeUnretainedValue().read(into: buffer, max: max)
}

private let webStreamFree: MHD_ContentReaderFreeCallback = { context in
    guard let context else { return }
    let stream = Unmanaged<WebEventStream>.fromOpaque(context).takeRetainedValue()
    stream.board.unsubscribe(stream.subscription)
}
