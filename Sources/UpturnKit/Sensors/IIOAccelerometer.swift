import Foundation

/// A three-axis vector (an accelerometer's reading, in m/s² or in its raw units).
public struct Vector3: Sendable, Equatable, CustomStringConvertible {
    public var x, y, z: Double
    public init(_ x: Double, _ y: Double, _ z: Double) {
        self.x = x
        self.y = y
        self.z = z
    }
    public var length: Double { (x * x + y * y + z * z).squareRoot() }
    public var unit: Vector3 { let l = length; return l > 0 ? Vector3(x / l, y / l, z / l) : self }
    public func dot(_ o: Vector3) -> Double { x * o.x + y * o.y + z * o.z }
    public func cross(_ o: Vector3) -> Vector3 { Vector3(y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x) }
    public static func + (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x + b.x, a.y + b.y, a.z + b.z) }
    public static func * (a: Vector3, k: Double) -> Vector3 { Vector3(a.x * k, a.y * k, a.z * k) }
    public var description: String { String(format: "(%.3f, %.3f, %.3f)", x, y, z) }
}

/// One accelerometer as Linux IIO shows it: a folder `iio:deviceN` with `name`,
/// `in_accel_{x,y,z}_raw`, a scale (`in_accel_scale`, or one per axis), perhaps offsets and
/// a mount matrix (`in_accel_mount_matrix`, `in_mount_matrix` or `mount_matrix`). Read from
/// sysfs directly: three or four small files a reading, 20 times a second (why not libiio:
/// ARCHITECTURE.md). Each file is opened, read and closed every time, so a device unplugged
/// (its folder gone) is seen at the next reading.
public struct IIOAccelerometer: Sendable, Equatable {
    /// Where the kernel lists IIO devices (`UPTURN_IIO_ROOT` names another tree: a simulated
    /// table's).
    public static var root: String { ProcessInfo.processInfo.environment["UPTURN_IIO_ROOT"] ?? "/sys/bus/iio/devices" }
    /// The device's folder and its `name`.
    public let folder: String
    public let name: String
    let scale: (Double, Double, Double)
    let offset: (Double, Double, Double)
    /// Rows of the mount matrix (identity when the device has none).
    let mount: [Vector3]
    /// The device gives a scale: readings are in m/s², and one far from gravity is no reading.
    public var inMetresPerSecond: Bool { scale != (1, 1, 1) }

    public static func == (a: IIOAccelerometer, b: IIOAccelerometer) -> Bool { a.folder == b.folder }

    /// Why a reading could not be had.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        /// The device's files are gone (unplugged, the driver unloaded).
        case lost(String)
        /// A file holds something that is not a number, or a value no sensor gives.
        case garbage(String)
        public var description: String {
            switch self {
            case .lost(let why), .garbage(let why): return why
            }
        }
    }

    /// `--angle iio`, `iio:NAME` or `iio:PATH`: the first accelerometer under `root`, the one
    /// whose `name` is NAME, or the device folder (or a tree of them, as the tests give) at
    /// PATH. 66 with what was looked at when there is none.
    public static func find(_ spec: String, root: String = IIOAccelerometer.root) throws(UpturnError) -> IIOAccelerometer {
        guard spec == "iio" || spec.hasPrefix("iio:") else {
            throw UpturnError.usage("--angle: '\(spec.prefix(60))' is not iio, iio:NAME or iio:PATH")
        }
        let wanted = spec == "iio" ? "" : String(spec.dropFirst(4))
        var folders: [String]
        var searched = root
        if wanted.hasPrefix("/") || wanted.hasPrefix(".") {
            searched = wanted
            folders = isAccelerometer(wanted) ? [wanted] : devices(under: wanted)
        } else {
            folders = devices(under: root)
            if !wanted.isEmpty { folders = folders.filter { text(PathText.join($0, "name")) == wanted } }
        }
        guard let folder = folders.first else {
            let kind = wanted.isEmpty || wanted.hasPrefix("/") || wanted.hasPrefix(".")
                ? "no IIO accelerometer (a folder with in_accel_x_raw)" : "no IIO accelerometer named '\(wanted.prefix(40))'"
            let names = devices(under: root).compactMap { text(PathText.join($0, "name")) }
            throw UpturnError.noInput(
                "\(searched): \(kind)"
                    + (names.isEmpty ? "; is its overlay on (dtoverlay=mpu6050)?" : "; there are: \(names.joined(separator: ", "))"))
        }
        return try open(folder)
    }

    /// The accelerometer at `folder` (its scale, offsets and mount matrix read once).
    public static func open(_ folder: String) throws(UpturnError) -> IIOAccelerometer {
        func number(_ file: String) throws(UpturnError) -> Double? {
            let path = PathText.join(folder, file)
            guard let value = text(path) else { return nil }
            guard let number = Double(value), number.isFinite else { throw UpturnError.data("\(path):1:1: not a number: '\(value.prefix(40))'") }
            return number
        }
        let shared = try number("in_accel_scale") ?? 1
        let scale = (try number("in_accel_x_scale") ?? shared, try number("in_accel_y_scale") ?? shared, try number("in_accel_z_scale") ?? shared)
        let sharedOffset = try number("in_accel_offset") ?? 0
        let offset = (
            try number("in_accel_x_offset") ?? sharedOffset, try number("in_accel_y_offset") ?? sharedOffset, try number("in_accel_z_offset") ?? sharedOffset
        )
        var mount = [Vector3(1, 0, 0), Vector3(0, 1, 0), Vector3(0, 0, 1)]
        for file in ["in_accel_mount_matrix", "in_mount_matrix", "mount_matrix"] {
            guard let value = text(PathText.join(folder, file)) else { continue }
            let rows = value.split(separator: ";").map { $0.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
            guard rows.count == 3, rows.allSatisfy({ $0.count == 3 }) else {
                throw UpturnError.data("\(PathText.join(folder, file)):1:1: not a mount matrix ('x0, x1, x2; y0, y1, y2; z0, z1, z2' expected)")
            }
            mount = rows.map { Vector3($0[0], $0[1], $0[2]) }
            break
        }
        return IIOAccelerometer(folder: folder, name: text(PathText.join(folder, "name")) ?? PathText.lastComponent(folder), scale: scale, offset: offset, mount: mount)
    }

    /// The specific force the sensor feels (up, at rest), in m/s² when the device gives a
    /// scale, the mount matrix applied.
    public func read() -> Result<Vector3, Problem> {
        var axes: [Double] = []
        for axis in ["x", "y", "z"] {
            let path = PathText.join(folder, "in_accel_\(axis)_raw")
            guard let value = Self.text(path) else {
                return .failure(.lost("\(folder): the accelerometer is gone (cannot read in_accel_\(axis)_raw)"))
            }
            guard let raw = Int32(value) else { return .failure(.garbage("\(path): not a reading: '\(value.prefix(40))'")) }
            axes.append(Double(raw))
        }
        let v = Vector3((axes[0] + offset.0) * scale.0, (axes[1] + offset.1) * scale.1, (axes[2] + offset.2) * scale.2)
        return .success(Vector3(mount[0].dot(v), mount[1].dot(v), mount[2].dot(v)))
    }

    /// Folders under `root` that are accelerometers, in the kernel's order (device0, 1, …).
    static func devices(under root: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let sorted = names.filter { $0.hasPrefix("iio:device") }.sorted { (Int($0.dropFirst(10)) ?? 0) < (Int($1.dropFirst(10)) ?? 0) }
        return sorted.map { PathText.join(root, $0) }.filter(isAccelerometer)
    }

    static func isAccelerometer(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: PathText.join(folder, "in_accel_x_raw"))
    }

    /// A small sysfs file's text, trimmed; nil when it cannot be read.
    static func text(_ path: String) -> String? {
        guard let fd = try? SystemCall.open(path, O_RDONLY) else { return nil }
        defer { SystemCall.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 256)
        guard let count = try? SystemCall.read(fd, into: &bytes) else { return nil }
        return String(decoding: bytes.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
