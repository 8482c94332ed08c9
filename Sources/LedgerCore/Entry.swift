public import Foundation

public enum EntryDirection: String, Sendable, Hashable {
    case debit
    case credit
}

/// One side of a posted movement (PRODUCT.md §1). Each posted movement writes two.
public struct Entry: Sendable, Hashable {
    public var sequence: Int64
    public var accountID: UUID
    public var transferID: UUID
    public var direction: EntryDirection
    public var amount: Int64
    /// The account's `posted` balance right after this entry.
    public var balanceAfter: Int128
    public var createdAt: Date
    /// SHA-256 of the previous entry's hash of the same account and this entry's canonical
    /// bytes (invariant 5); empty until the store chains it.
    public var hash: [UInt8]

    public init(
        sequence: Int64, accountID: UUID, transferID: UUID, direction: EntryDirection, amount: Int64,
        balanceAfter: Int128, createdAt: Date, hash: [UInt8] = []
    ) {
        self.sequence = sequence
        self.accountID = accountID
        self.transferID = transferID
        self.direction = direction
        self.amount = amount
        self.balanceAfter = balanceAfter
        self.createdAt = createdAt
        self.hash = hash
    }
}

extension Entry {
    /// Length of an entry hash (SHA-256), and of the all-zero hash that starts every chain.
    public static let hashBytesCount = 32
    public static let genesisHash = [UInt8](repeating: 0, count: hashBytesCount)

    /// The entry's canonical bytes, the input of its chain link (Specs/INVARIANTS.md):
    /// `"LEDGER-ENTRY-V1"`, then sequence (8 bytes), account id (16), transfer id (16),
    /// direction (1: 0x44 'D' or 0x43 'C'), amount (8), balance after (16, two's complement),
    /// created_at in microseconds since the Unix epoch (8), every integer big-endian.
    /// Fixed widths make the encoding unambiguous without separators.
    public var canonicalBytes: [UInt8] {
        var bytes: [UInt8] = Array("LEDGER-ENTRY-V1".utf8)
        bytes.reserveCapacity(bytes.count + 73)
        bytes.appendBigEndian(UInt64(bitPattern: sequence))
        bytes.append(uuid: accountID)
        bytes.append(uuid: transferID)
        bytes.append(direction == .debit ? UInt8(ascii: "D") : UInt8(ascii: "C"))
        bytes.appendBigEndian(UInt64(bitPattern: amount))
        let after = UInt128(bitPattern: balanceAfter)
        bytes.appendBigEndian(UInt64(truncatingIfNeeded: after >> 64))
        bytes.appendBigEndian(UInt64(truncatingIfNeeded: after))
        bytes.appendBigEndian(UInt64(bitPattern: createdAt.microsecondsSinceEpoch))
        return bytes
    }
}

extension Date {
    /// Microseconds since the Unix epoch, the precision Postgres stores.
    public var microsecondsSinceEpoch: Int64 {
        Int64((timeIntervalSince1970 * 1_000_000).rounded())
    }

    public init(microsecondsSinceEpoch: Int64) {
        self.init(timeIntervalSince1970: Double(microsecondsSinceEpoch) / 1_000_000)
    }

    /// This instant truncated to whole microseconds, so that what is hashed equals what is stored.
    public var truncatedToMicroseconds: Date {
        Date(microsecondsSinceEpoch: microsecondsSinceEpoch)
    }
}

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    mutating func append(uuid: UUID) {
        let u = uuid.uuid
        append(contentsOf: [
            u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15,
        ])
    }
}
