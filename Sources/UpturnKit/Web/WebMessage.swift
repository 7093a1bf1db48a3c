import Foundation

/// One HTTP request as the companion page's routes see it: read whole (the body is capped
/// before it is kept), headers by lower-case name.
public struct WebRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [String: String]
    public var body: [UInt8]
    /// The peer's address, for the log.
    public var peer: String

    public init(method: String, path: String, headers: [String: String] = [:], body: [UInt8] = [], peer: String = "") {
        self.method = method
        self.path = path
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        self.body = body
        self.peer = peer
    }

    /// A cookie's value (`Cookie: a=1; upturn=…`).
    public func cookie(_ name: String) -> String? {
        guard let header = headers["cookie"] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
        }
        return nil
    }
}

/// What a route answers: a body, or a stream of the box's status (server-sent events).
public struct WebResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    public var headers: [(String, String)] = []
    /// An event stream: the server keeps the connection and writes each status change.
    public var streamsStatus = false

    public init(status: Int, contentType: String, body: [UInt8], headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    /// A JSON object (already encoded).
    public static func json(_ status: Int, _ object: String) -> WebResponse {
        WebResponse(status: status, contentType: "application/json; charset=utf-8", body: Array(object.utf8))
    }

    /// `{"error": "…"}` with a status.
    public static func error(_ status: Int, _ message: String, extra: String = "") -> WebResponse {
        json(status, "{\"error\": \(JSONText.string(message))\(extra)}")
    }

    public static let ok = json(200, "{\"ok\": true}")

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
