import Foundation

extension Thread {
    /// A thread whose name the system sees too (`top -H`, `ps -L`, gdb, /proc), which
    /// Foundation's `name` alone does not set on Linux. Names are cut to 15 bytes.
    public convenience init(named name: String, block: @escaping @Sendable () -> Void) {
        self.init {
            Thread.nameCurrentForSystem(name)
            block()
        }
        self.name = name
    }

    /// Writes the calling thread's name to `/proc/thread-self/comm`; nothing when it cannot.
    public static func nameCurrentForSystem(_ name: String) {
        let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
}
