import Foundation

/// A small deterministic random number generator (xoshiro256**, seeded through SplitMix64).
/// The standard library's generator cannot be seeded, and a run must be reproducible from its seed.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var mixer = seed
        self.state = (
            Self.splitMix(&mixer), Self.splitMix(&mixer),
            Self.splitMix(&mixer), Self.splitMix(&mixer)
        )
    }

    /// Derives an independent stream from a seed and a label, so that streams for different
    /// purposes (the plan, the ids) never share state yet stay a function of the seed.
    init(seed: UInt64, stream: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stream.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        self.init(seed: seed ^ hash)
    }

    mutating func next() -> UInt64 {
        let result = Self.rotate(self.state.1 &* 5, 7) &* 9
        let shifted = self.state.1 << 17
        self.state.2 ^= self.state.0
        self.state.3 ^= self.state.1
        self.state.1 ^= self.state.2
        self.state.0 ^= self.state.3
        self.state.2 ^= shifted
        self.state.3 = Self.rotate(self.state.3, 45)
        return result
    }

    /// A version 4 UUID made from this generator's output.
    mutating func uuid() -> UUID {
        var bytes = [UInt8](repeating: 0, count: 16)
        let high = self.next()
        let low = self.next()
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: high >> UInt64(i * 8))
            bytes[i + 8] = UInt8(truncatingIfNeeded: low >> UInt64(i * 8))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return Self.uuid(bytes)
    }

    /// A UUID in version 7 layout that sorts by `order`: the 48-bit time field holds
    /// `startMilliseconds + order / 4096`, the 12 bits after the version hold `order % 4096`,
    /// and the 62 bits after the variant come from this generator.
    mutating func timeOrderedUUID(startMilliseconds: UInt64, order: UInt64) -> UUID {
        let milliseconds = (startMilliseconds &+ order >> 12) & 0xFFFF_FFFF_FFFF
        let high = milliseconds << 16 | 0x7000 | order & 0x0FFF
        let low = self.next() & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: high >> UInt64(56 - i * 8))
            bytes[i + 8] = UInt8(truncatingIfNeeded: low >> UInt64(56 - i * 8))
        }
        return Self.uuid(bytes)
    }

    /// True with the given probability (0 … 1).
    mutating func chance(_ probability: Double) -> Bool {
        Double.random(in: 0..<1, using: &self) < probability
    }

    private static func uuid(_ bytes: [UInt8]) -> UUID {
        UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }

    private static func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
