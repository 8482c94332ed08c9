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

    /// A `uuid[]` literal.
    public static func array(_ values: [UUID]) -> PostgresParameter {
        PostgresParameter("{" + values.map(\.uuidString).joined(separator: ",") + "}")
    }

    /// A `timestamptz[]` literal, each element at microsecond precision in UTC.
    public static func array(_ values: [Date]) -> PostgresParameter {
        array(values.map { Optional(TimestampText.encode($0)) })
    }

    /// A `bytea[]` literal, each element in hex form.
    public static func array(bytes values: [[UInt8]]) -> PostgresParameter {
        array(values.map { Optional(ByteaText.encode($0)) })
    }

    /// A `bool[]` literal.
    public static func array(_ values: [Bool]) -> PostgresParameter {
        PostgresParameter("{" + values.map { $0 ? "t" : "f" }.joined(separator: ",") + "}")
    }
}
