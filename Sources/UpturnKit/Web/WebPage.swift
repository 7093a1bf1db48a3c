/// The page's files, embedded in the binary (`Web/page/` in the sources: plain HTML, CSS and
/// JavaScript, no build step, nothing from the internet). Open to anyone: they hold no data.
public enum WebPage {
    static let files: [String: (type: String, bytes: [UInt8])] = [
        "/": ("text/html; charset=utf-8", PackageResources.index_html),
        "/app.js": ("text/javascript; charset=utf-8", PackageResources.app_js),
        "/app.css": ("text/css; charset=utf-8", PackageResources.app_css),
        "/icon.svg": ("image/svg+xml", PackageResources.icon_svg),
    ]

    /// Every response of the page's: no framing by other sites, no sniffing, no referrer, and
    /// scripts only from the box.
    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ]

    static func asset(_ path: String) -> WebResponse? {
        guard let file = files[path == "/index.html" ? "/" : path] else { return nil }
        return WebResponse(status: 200, contentType: file.type, body: file.bytes, headers: [("Cache-Control", "no-cache")])
    }

    /// All the page's bytes (the bench's page weight).
    public static var weight: Int { files.values.reduce(0) { $0 + $1.bytes.count } }
}
