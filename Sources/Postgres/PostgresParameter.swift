#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One bound parameter of a statement, in Postgres' text format, or NULL; arrays of ids,
/// timestamps and byte strings go in its binary format (`binary`).
///
/// Values are always sent out of band (`$1`, `$2`, …), never spliced into SQL text. The server
/// converts the text to the parameter's type, so cast in SQL where the type is not obvious
/// (`$1::uuid`, `$2::numeric`, `$3::text[]`). A binary parameter must be cast to exactly its
/// type (`$1::uuid[]`, `$2::timestamptz[]`, `$3::bytea[]`): the server checks it.
public struct PostgresParameter: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByNilLiteral,
    ExpressibleByIntegerLiteral
{
    /// The text sent to the server; nil is SQL NULL unless `binary` is set.
    public var text: String?
    /// The value in Postgres's binary format, sent instead of `text` when set.
    public var binary: [UInt8]?

    public static let null = PostgresParameter(nil as String?)

    public init(_ text: String?) {
        self.text = text
    }

    /// A value in Postgres's binary format.
    public init(binary: [UInt8]) {
        self.text = nil
        self.binary = binary
    }

    public init(stringLiteral value: String) {
        self.text = value
    }

    public init(nilLiteral: ()) {
        self.text = nil
    }

    public init(integerLiteral value: Int64) {
        self.text = String(value)
    }

    public init(_ value: Int64) {
        self.text = String(value)
    }

    public init(_ value: Int) {
        self.text = String(value)
    }

    public init(_ value: Int32) {
        self.text = String(value)
    }

    /// For NUMERIC columns that hold 128-bit integers.
    public init(_ value: Int128) {
        self.text = String(value)
    }

    public init(_ value: Bool) {
        self.text = value ? "true" : "false"
    }

    public init(_ value: UUID) {
        self.text = value.uuidString
    }

    /// A `timestamptz` in UTC with microsecond precision (`2024-01-02T03:04:05.123456Z`).
    public init(_ date: Date) {
        self.text = TimestampText.encode(date)
    }

    /// A `bytea` in hex form (`\x…`).
    public init(bytes: [UInt8]) {
        self.text = ByteaText.encode(bytes)
    }

    /// Wraps an optional value: nil becomes SQL NULL.
    public init<Value>(_ value: Value?, _ make: (Value) -> PostgresParameter) {
        self = value.map(make) ?? .null
    }
}

extension PostgresParameter: CustomStringConvertible {
    /// Never prints the value, so that a parameter that ends up in a log message leaks nothing.
    public var description: String {
        self.text == nil && self.binary == nil ? "NULL" : "<parameter>"
    }
}
