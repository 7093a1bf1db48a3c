/// FNV-1a, 64 bits: a hash that is the same in every run and on every machine
/// (Swift's `Hasher` is seeded per process). Used to name cache files; the cache
/// stores the full key too, so a collision can never serve the wrong audio.
public struct StableHash: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func combine(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
    }

    public mutating func combine(_ string: String) {
        combine(string.utf8)
        combine([0])
    }

    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public static func hex(of string: String) -> String {
        var hash = StableHash()
        hash.combine(string)
        return hash.hex
    }
}
