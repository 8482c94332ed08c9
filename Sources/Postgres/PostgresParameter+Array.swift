#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension PostgresParameter {
    /// A `text[]` literal; nil elements are NULL. Every element is double-quoted with `"` and `\`
    /// escaped, so commas, braces, quotes, backslashes, blanks, unicode and the word NULL survive.
    public static func array(_ values: [String?]) -> PostgresParameter {
        // Built as UTF-8 bytes: appending scalar by scalar to a String dominated the cost of
        // large batches.
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(2 + values.reduce(0) { $0 + ($1?.utf8.count ?? 4) + 3 })
        for (index, value) in values.enumerated() {
            if index > 0 {
                bytes.append(UInt8(ascii: ","))
            }
            guard let value else {
                bytes.append(contentsOf: [UInt8(ascii: "N"), UInt8(ascii: "U"), UInt8(ascii: "L"), UInt8(ascii: "L")])
                continue
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in value.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    bytes.append(UInt8(ascii: "\\"))
                }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "}"))
        return PostgresParameter(String(decoding: bytes, as: UTF8.self))
    }

    /// A `bigint[]` literal.
    public static func array(_ values: [Int64]) -> PostgresParameter {
        PostgresParameter("{" + values.map { String($0) }.joined(separator: ",") + "}")
    }

    /// A `numeric[]` literal of 128-bit integers.
    public static func array(_ values: [Int128]) -> PostgresParameter {
        PostgresParameter("{" + values.map { String($0) }.joined(separator: ",") + "}")
    }

    /// A `uuid[]`, in binary (cast it to exactly `uuid[]`). Ids are most of what a commit
    /// group sends; as text each one was formatted here and parsed again by the server.
    public static func array(_ values: [UUID]) -> PostgresParameter {
        var bytes = BinaryArray.header(count: values.count, elementOID: BinaryArray.uuidOID, elementBytes: 16)
        for value in values {
            BinaryArray.append(Int32(16), to: &bytes)
            withUnsafeBytes(of: value.uuid) { bytes.append(contentsOf: $0) }
        }
        return PostgresParameter(binary: bytes)
    }

    /// A `timestamptz[]`, in binary (cast it to exactly `timestamptz[]`), each element rounded
    /// to the microsecond exactly as the text form rounds it.
    public static func array(_ values: [Date]) -> PostgresParameter {
        var bytes = BinaryArray.header(count: values.count, elementOID: BinaryArray.timestamptzOID, elementBytes: 8)
        for value in values {
            BinaryArray.append(Int32(8), to: &bytes)
            BinaryArray.append(TimestampText.microseconds(value) - BinaryArray.postgresEpochMicroseconds, to: &bytes)
        }
        return PostgresParameter(binary: bytes)
    }

    /// A `bytea[]`, in binary (cast it to exactly `bytea[]`): the bytes as they are, rather than
    /// twice as many hex digits.
    public static func array(bytes values: [[UInt8]]) -> PostgresParameter {
        var bytes = BinaryArray.header(
            count: values.count, elementOID: BinaryArray.byteaOID, elementBytes: values.reduce(0) { $0 + $1.count } / max(values.count, 1))
        for value in values {
            BinaryArray.append(Int32(value.count), to: &bytes)
            bytes.append(contentsOf: value)
        }
        return PostgresParameter(binary: bytes)
    }

    /// A `bool[]` literal.
    public static func array(_ values: [Bool]) -> PostgresParameter {
        PostgresParameter("{" + values.map { $0 ? "t" : "f" }.joined(separator: ",") + "}")
    }
}

/// Postgres's binary array format (`array_recv`): the number of dimensions, a has-nulls flag and
/// the element type's OID, then each dimension's length and lower bound, then every element as
/// its length and bytes. All integers are big-endian.
enum BinaryArray {
    static let byteaOID: UInt32 = 17
    static let uuidOID: UInt32 = 2950
    static let timestamptzOID: UInt32 = 1184
    /// 2000-01-01T00:00:00Z, where Postgres's binary timestamps count from, in Unix microseconds.
    static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    /// The header of a one-dimensional array without NULLs (none for an empty one), with room
    /// reserved for its elements.
    static func header(count: Int, elementOID: UInt32, elementBytes: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20 + count * (4 + elementBytes))
        append(Int32(count == 0 ? 0 : 1), to: &bytes)
        append(Int32(0), to: &bytes)
        append(Int32(bitPattern: elementOID), to: &bytes)
        if count > 0 {
            append(Int32(count), to: &bytes)
            append(Int32(1), to: &bytes)
        }
        return bytes
    }

    static func append(_ value: Int32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    static func append(_ value: Int64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
