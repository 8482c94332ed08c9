import Foundation
import LedgerCore
import PropertyBased
import Testing

@Suite("UUID version 7")
struct UUIDv7Tests {
    static func bytes(_ id: UUID) -> [UInt8] {
        let u = id.uuid
        return [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
    }

    @Test("layout: 48 bits of Unix milliseconds, version 7, variant 10")
    func layout() {
        var rng = Xoshiro(seed: (1, 2, 3, 4))
        let date = Date(timeIntervalSince1970: 1_700_000_000.123_9)
        let id = UUID.v7(now: date, using: &rng)
        let b = Self.bytes(id)
        let millis = b[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(millis == 1_700_000_000_123)
        #expect(b[6] >> 4 == 0x7)
        #expect(b[8] >> 6 == 0b10)
        #expect(id.uuidString.dropFirst(14).first == "7")
        #expect("89AB".contains(id.uuidString.dropFirst(19).first!))
    }

    @Test("the same clock and generator give the same id; the random bits all vary")
    func randomBits() {
        var first = Xoshiro(seed: (9, 8, 7, 6))
        var second = Xoshiro(seed: (9, 8, 7, 6))
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(UUID.v7(now: date, using: &first) == UUID.v7(now: date, using: &second))

        var rng = Xoshiro(seed: (5, 5, 5, 5))
        var orBits = [UInt8](repeating: 0, count: 16)
        var andBits = [UInt8](repeating: 0xFF, count: 16)
        for _ in 0..<256 {
            let b = Self.bytes(UUID.v7(now: date, using: &rng))
            for i in 0..<16 {
                orBits[i] |= b[i]
                andBits[i] &= b[i]
            }
        }
        // 74 random bits: the low nibble of byte 6, the low six bits of byte 8, bytes 7 and 9-15.
        let varying = zip(orBits, andBits).map { $0 ^ $1 }
        #expect(varying[0..<6].allSatisfy { $0 == 0 })
        #expect(varying[6] == 0x0F)
        #expect(varying[7] == 0xFF)
        #expect(varying[8] == 0x3F)
        #expect(varying[9..<16].allSatisfy { $0 == 0xFF })
    }

    @Test("ids made at later milliseconds sort after earlier ones, as bytes and as text")
    func timeOrdered() {
        let runner = PropertyRunner.fromEnvironment(iterationsDefault: 500)
        runner.check(
            "uuid v7 time order",
            input: zip(Gen.int64(in: 0...4_102_444_800_000), Gen.int64(in: 1...86_400_000), Gen.uint64(), Gen.uint64()),
            shrink: { _ in [] },
            describe: { "\($0)" },
            property: { input, _ in
                let (millis, gap, seedA, seedB) = input
                var rngA = Xoshiro(seed: (seedA, 1, 2, 3))
                var rngB = Xoshiro(seed: (seedB, 4, 5, 6))
                // Half a millisecond in keeps each instant inside its millisecond despite binary fractions.
                let earlier = UUID.v7(now: Date(timeIntervalSince1970: (Double(millis) + 0.5) / 1_000), using: &rngA)
                let later = UUID.v7(now: Date(timeIntervalSince1970: (Double(millis + gap) + 0.5) / 1_000), using: &rngB)
                var found: [String] = []
                if !Self.bytes(earlier).lexicographicallyPrecedes(Self.bytes(later)) { found.append("bytes: \(earlier) ≥ \(later)") }
                if !(earlier.uuidString < later.uuidString) { found.append("text: \(earlier) ≥ \(later)") }
                return found
            }
        )
        #expect(UUID.v7(now: Date(timeIntervalSince1970: 2)).uuidString < UUID.v7(now: Date(timeIntervalSince1970: 3)).uuidString)
    }

    @Test("a clock before 1970 gives timestamp zero")
    func beforeEpoch() {
        let b = Self.bytes(UUID.v7(now: Date(timeIntervalSince1970: -5)))
        #expect(b[0..<6].allSatisfy { $0 == 0 })
        #expect(b[6] >> 4 == 0x7)
    }
}
