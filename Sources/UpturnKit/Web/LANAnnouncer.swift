import CAvahi

/// The companion page's name on the LAN: `Upturn` as `_http._tcp` (`_https._tcp` with a
/// certificate), through the avahi daemon, so a phone's browser or a zeroconf browser finds
/// the box without its address. A box without avahi still serves the page: the announcer
/// says why in one line and does nothing. A daemon that is not running yet, or restarts, is
/// waited for; a name taken by another box becomes "Upturn #2".
public final class LANAnnouncer: @unchecked Sendable {
    // @unchecked: `lan` is set in `init` and cleared in `stop`, on the service's thread;
    // avahi's thread only calls `report`.
    public static let name = "Upturn"
    private var lan: UnsafeMutablePointer<upturn_lan>?
    private let report: Report

    private final class Report {
        let log: @Sendable (String) -> Void
        init(_ log: @escaping @Sendable (String) -> Void) { self.log = log }
    }

    /// Starts announcing `port`; every event is one line to `log` ("web: announced on the LAN
    /// as 'Upturn' (_http._tcp)"), from avahi's thread.
    public init(name: String = LANAnnouncer.name, https: Bool, port: UInt16, log: @escaping @Sendable (String) -> Void) {
        report = Report(log)
        var why = [CChar](repeating: 0, count: 256)
        let context = Unmanaged.passUnretained(report).toOpaque()
        lan = upturn_lan_start(name, https ? 1 : 0, port, { context, line in
            guard let context, let line else { return }
            Unmanaged<Report>.fromOpaque(context).takeUnretainedValue().log("web: " + String(cString: line))
        }, context, &why, why.count)
        if lan == nil {
            log("web: not announced on the LAN (\(String(cString: why))); the page is still at its address")
        }
    }

    /// Withdraws the name (at once: the daemon tells the LAN it is gone).
    public func stop() {
        upturn_lan_stop(lan)
        lan = nil
    }

    deinit { stop() }
}
