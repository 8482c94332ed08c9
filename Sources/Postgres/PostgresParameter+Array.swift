#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension PostgresParameter {
    /// A `text[]` literal; nil elements are NULL. Every element is double-quoted with `"` and `\`
    /// escaped, so commas, braces, quotes, backslashes, blanks, unicode and the word NULL survive.
    public static func array(_ values: [String?]) -> PostgresParameter {
        var text = "{"
        for (index, value) in values.enumerated() {
            if index > 0 {
                text += ","
            }
            guard let value else {
                text += "NULL"
                continue
            }
            text += "\""
            for character in value.unicodeScalars {
                if character == "\"" || character == "\\" {
                    text.unicodeScalars.append("\\")
                }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        text += "}"
        return PostgresParameter(text)
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
