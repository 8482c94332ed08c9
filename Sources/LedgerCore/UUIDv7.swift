public import Foundation

extension UUID {
    /// A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits.
    /// Ids made by the server sort by creation time, which keeps index inserts local.
    public static func v7(now: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        return v7(now: now, using: &generator)
    }

    public static func v7(now: Date, using generator: inout some RandomNumberGenerator) -> UUID {
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 {
            bytes[i] = UInt8(truncatingIfNeeded: millis >> UInt64(40 - 8 * i))
        }
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        for i in 6..<16 {
            let source = i < 14 ? random.0 : random.1
            bytes[i] = UInt8(truncatingIfNeeded: source >> UInt64((i % 8) * 8))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }
}
