import Foundation
import LedgerCore
import PropertyBased
import Testing

/// Invariant 5's input: the exact layout of `Entry.canonicalBytes` (Specs/INVARIANTS.md §5).
@Suite("Entry canonical bytes")
struct EntryCanonicalBytesTests {
    static let accountID = UUID(uuid: (0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F))
    static let transferID = UUID(uuid: (0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F))

    static func entry(direction: EntryDirection = .debit, balanceAfter: Int128 = -2) -> Entry {
        Entry(
            sequence: 0x0102_0304_0506_0708, accountID: accountID, transferID: transferID, direction: direction,
            amount: 0x1112_1314_1516_1718, balanceAfter: balanceAfter,
            createdAt: Date(microsecondsSinceEpoch: 1_700_000_000_123_456)
        )
    }

    @Test("invariant 5: 88 bytes at fixed offsets, every integer big-endian")
    func layout() {
        let bytes = Self.entry().canonicalBytes
        #expect(bytes.count == 88)
        #expect(Array(bytes[0..<15]) == Array("LEDGER-ENTRY-V1".utf8))
        #expect(Array(bytes[0..<15]) == [0x4C, 0x45, 0x44, 0x47, 0x45, 0x52, 0x2D, 0x45, 0x4E, 0x54, 0x52, 0x59, 0x2D, 0x56, 0x31])
        #expect(Array(bytes[15..<23]) == [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08])
        #expect(Array(bytes[23..<39]) == Array(0x10...0x1F))
        #expect(Array(bytes[39..<55]) == Array(0x20...0x2F))
        #expect(bytes[55] == 0x44)
        #expect(Array(bytes[56..<64]) == [0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18])
        #expect(Array(bytes[64..<80]) == Array(repeating: 0xFF, count: 15) + [0xFE])
        // 1_700_000_000_123_456 = 0x0006_0A24_1820_2240.
        #expect(Array(bytes[80..<88]) == [0x00, 0x06, 0x0A, 0x24, 0x18, 0x20, 0x22, 0x40])
    }

    @Test("invariant 5: a credit entry is marked C; balance_after uses all 16 bytes")
    func creditAndWideBalance() {
        let wide = Int128(1) << 64 | 0x0A0B
        let bytes = Self.entry(direction: .credit, balanceAfter: wide).canonicalBytes
        #expect(bytes[55] == 0x43)
        #expect(Array(bytes[64..<80]) == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x0A, 0x0B])
        let lowest = Self.entry(balanceAfter: .min).canonicalBytes
        #expect(Array(lowest[64..<80]) == [0x80] + Array(repeating: 0, count: 15))
    }

    @Test("invariant 5: the hash is not part of its own input, every field is")
    func coversEveryField() {
        let base = Self.entry()
        var hashed = base
        hashed.hash = Array(repeating: 0xAB, count: Entry.hashBytesCount)
        #expect(hashed.canonicalBytes == base.canonicalBytes)

        var changes: [(String, Entry, Range<Int>)] = []
        var e = base; e.sequence += 1; changes.append(("sequence", e, 15..<23))
        e = base; e.accountID = Self.transferID; changes.append(("account", e, 23..<39))
        e = base; e.transferID = Self.accountID; changes.append(("transfer", e, 39..<55))
        e = base; e.direction = .credit; changes.append(("direction", e, 55..<56))
        e = base; e.amount -= 1; changes.append(("amount", e, 56..<64))
        e = base; e.balanceAfter = 2; changes.append(("balance", e, 64..<80))
        e = base; e.createdAt = Date(microsecondsSinceEpoch: 1_700_000_000_123_457); changes.append(("created_at", e, 80..<88))
        for (name, changed, range) in changes {
            let differing = zip(base.canonicalBytes, changed.canonicalBytes).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
            #expect(!differing.isEmpty, "\(name)")
            #expect(differing.allSatisfy(range.contains), "\(name) changed bytes \(differing)")
        }
    }

    @Test("the genesis hash is 32 zero bytes")
    func genesis() {
        #expect(Entry.hashBytesCount == 32)
        #expect(Entry.genesisHash == [UInt8](repeating: 0, count: 32))
    }

    @Test("invariant 5: canonical bytes equal an independent big-endian encoding for generated entries")
    func independentEncoding() {
        let runner = PropertyRunner.fromEnvironment(iterationsDefault: 500)
        let input = zip(
            Gen.int64(in: 1...Int64.max), Gen.int64(in: 1...Int64.max), Gen.int128(), Gen.int64(in: 0...4_102_444_800_000_000),
            Gen.bool, Gen.uint128(), Gen.uint128()
        )
        runner.check(
            "canonical bytes encoding",
            input: input,
            shrink: { _ in [] },
            describe: { "\($0)" },
            property: { fields, _ in
                let (sequence, amount, balance, micros, isDebit, accountBits, transferBits) = fields
                let entry = Entry(
                    sequence: sequence, accountID: Self.uuid(accountBits), transferID: Self.uuid(transferBits),
                    direction: isDebit ? .debit : .credit, amount: amount, balanceAfter: balance,
                    createdAt: Date(microsecondsSinceEpoch: micros)
                )
                var expected = Array("LEDGER-ENTRY-V1".utf8)
                expected += Self.bigEndian(UInt128(UInt64(bitPattern: sequence)), count: 8)
                expected += Self.bigEndian(accountBits, count: 16)
                expected += Self.bigEndian(transferBits, count: 16)
                expected.append(isDebit ? 0x44 : 0x43)
                expected += Self.bigEndian(UInt128(UInt64(bitPattern: amount)), count: 8)
                expected += Self.bigEndian(UInt128(bitPattern: balance), count: 16)
                expected += Self.bigEndian(UInt128(UInt64(bitPattern: micros)), count: 8)
                return entry.canonicalBytes == expected ? [] : ["canonical bytes \(entry.canonicalBytes) ≠ \(expected)"]
            }
        )
        #expect(Self.entry().canonicalBytes.count == 88)
    }

    /// The `count` low bytes of `value`, most significant first, by division.
    static func bigEndian(_ value: UInt128, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var rest = value
        for index in stride(from: count - 1, through: 0, by: -1) {
            bytes[index] = UInt8(rest % 256)
            rest /= 256
        }
        return bytes
    }

    static func uuid(_ bits: UInt128) -> UUID {
        let b = bigEndian(bits, count: 16)
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}
