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
        guard let fd = try? SystemCall.open("/proc/thread-self/comm", O_WRONLY) else { return }
        try? SystemCall.writeAll(fd, Array(name.utf8.prefix(15)))
        SystemCall.close(fd)
    }
}
