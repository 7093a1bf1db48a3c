import Foundation

/// Reads whole files with the errors a user should see: missing or unreadable is exit 66,
/// too large is exit 65, each naming the file.
public enum FileBytes {
    /// Makes a folder and the folders above it (`mkdir -p`); the error says why in the
    /// system's words ("Permission denied").
    public static func makeFolders(_ path: String, mode: mode_t = 0o755) throws(Errno) {
        if let info = try? SystemCall.fileStatus(path) {
            guard (info.st_mode & S_IFMT) == S_IFDIR else { throw .notDirectory }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try makeFolders(parent, mode: mode) }
        do throws(Errno) { try SystemCall.mkdir(path, mode: mode) } catch where error == .fileExists {}
    }

    public static func read(_ path: String, limit: Int, what: String) throws(UpturnError) -> [UInt8] {
        let info: stat
        do throws(Errno) { info = try SystemCall.fileStatus(path) } catch {
            throw UpturnError.system(.noInput, "\(path): cannot read \(what)", error)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw UpturnError.noInput("\(path): cannot read \(what): it is a folder")
        }
        if Int(info.st_size) > limit {
            throw UpturnError.data("\(path): \(what) is larger than \(limit / 1024 / 1024) MB")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let fd: Int32
        do throws(Errno) { fd = try SystemCall.open(path, O_RDONLY) } catch {
            throw UpturnError.system(.noInput, "\(path): cannot read \(what)", error)
        }
        defer { SystemCall.close(fd) }
        while true {
            let n: Int
            do throws(Errno) { n = try SystemCall.read(fd, into: &chunk) } catch {
                throw UpturnError.system(.noInput, "\(path): cannot read \(what)", error)
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > limit { throw UpturnError.data("\(path): \(what) is larger than \(limit / 1024 / 1024) MB") }
        }
        return bytes
    }
}
