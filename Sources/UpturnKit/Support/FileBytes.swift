import Foundation

/// Reads whole files with the errors a user should see: missing or unreadable is exit 66,
/// too large is exit 65, each naming the file.
public enum FileBytes {
    /// Makes a folder and the folders above it (`mkdir -p`); 0, or the errno that stopped it,
    /// so a message can say why in the system's words ("Permission denied").
    public static func makeFolders(_ path: String, mode: mode_t = 0o755) -> Int32 {
        var info = stat()
        if stat(path, &info) == 0 { return (info.st_mode & S_IFMT) == S_IFDIR ? 0 : ENOTDIR }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path {
            let failed = makeFolders(parent, mode: mode)
            if failed != 0 { return failed }
        }
        return mkdir(path, mode) == 0 || errno == EEXIST ? 0 : errno
    }

    public static func read(_ path: String, limit: Int, what: String) throws(UpturnError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw UpturnError.noInput("\(path): cannot read \(what): \(String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw UpturnError.noInput("\(path): cannot read \(what): it is a folder")
        }
        if Int(info.st_size) > limit {
            throw UpturnError.data("\(path): \(what) is larger than \(limit / 1024 / 1024) MB")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw UpturnError.noInput("\(path): cannot read \(what): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw UpturnError.noInput("\(path): cannot read \(what): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit { throw UpturnError.data("\(path): \(what) is larger than \(limit / 1024 / 1024) MB") }
        }
        return bytes
    }
}
