#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One result row, its values copied out of the `PGresult` in text format, so that the result
/// can be cleared at once and the row outlives it.
///
/// Accessors take a zero-based column index. A typed accessor throws `.decode` when the value is
/// NULL or is not text of that type; the `optional…` variants return nil for NULL.
public struct PostgresRow: Sendable, Hashable {
    /// The column values; nil is SQL NULL.
    public var values: [String?]

    public init(values: [String?]) {
        self.values = values
    }

    public var count: Int { self.values.count }

    public func isNull(_ index: Int) -> Bool {
        precondition(self.values.indices.contains(index), "column \(index) out of range 0..<\(self.values.count)")
        return self.values[index] == nil
    }

    public func optionalString(_ index: Int) -> String? {
        precondition(self.values.indices.contains(index), "column \(index) out of range 0..<\(self.values.count)")
        return self.values[index]
    }

    public func string(_ index: Int) throws(PostgresError) -> String {
        guard let text = self.optionalString(index) else {
            throw PostgresError.decode("unexpected NULL", column: index)
        }
        return text
    }

    public func int64(_ index: Int) throws(PostgresError) -> Int64 {
        try self.decode(index, as: "bigint") { Int64($0) }
    }

    public func int(_ index: Int) throws(PostgresError) -> Int {
        try self.decode(index, as: "integer") { Int($0) }
    }

    /// A NUMERIC holding an integer; a fractional part of zeros only (`42.000`) is accepted.
    public func int128(_ index: Int) throws(PostgresError) -> Int128 {
        try self.decode(index, as: "128-bit integer") { text in
            var integral = Substring(text)
            if let dot = text.firstIndex(of: ".") {
                guard text[text.index(after: dot)...].allSatisfy({ $0 == "0" }) else { return nil }
                integral = text[..<dot]
            }
            return Int128(integral)
        }
    }

    public func bool(_ index: Int) throws(PostgresError) -> Bool {
        try self.decode(index, as: "boolean") { text in
            switch text {
            case "t", "true": true
            case "f", "false": false
            default: nil
            }
        }
    }

    public func uuid(_ index: Int) throws(PostgresError) -> UUID {
        try self.decode(index, as: "uuid") { UUID(uuidString: $0) }
    }

    /// A `timestamptz` (text in ISO DateStyle, which every connection selects).
    public func date(_ index: Int) throws(PostgresError) -> Date {
        try self.decode(index, as: "timestamptz") { TimestampText.decode($0) }
    }

    /// A `bytea` in hex form, which every connection selects.
    public func bytes(_ index: Int) throws(PostgresError) -> [UInt8] {
        try self.decode(index, as: "bytea") { ByteaText.decode($0) }
    }

    public func optionalInt64(_ index: Int) throws(PostgresError) -> Int64? {
        try self.isNull(index) ? nil : self.int64(index)
    }

    public func optionalInt(_ index: Int) throws(PostgresError) -> Int? {
        try self.isNull(index) ? nil : self.int(index)
    }

    public func optionalInt128(_ index: Int) throws(PostgresError) -> Int128? {
        try self.isNull(index) ? nil : self.int128(index)
    }

    public func optionalBool(_ index: Int) throws(PostgresError) -> Bool? {
        try self.isNull(index) ? nil : self.bool(index)
    }

    public func optionalUUID(_ index: Int) throws(PostgresError) -> UUID? {
        try self.isNull(index) ? nil : self.uuid(index)
    }

    public func optionalDate(_ index: Int) throws(PostgresError) -> Date? {
        try self.isNull(index) ? nil : self.date(index)
    }

    public func optionalBytes(_ index: Int) throws(PostgresError) -> [UInt8]? {
        try self.isNull(index) ? nil : self.bytes(index)
    }

    /// The error names the expected type but not the value, which may be sensitive.
    private func decode<Value>(
        _ index: Int,
        as typeName: String,
        _ parse: (String) -> Value?
    ) throws(PostgresError) -> Value {
        let text = try self.string(index)
        guard let value = parse(text) else {
            throw PostgresError.decode("value is not a valid \(typeName)", column: index)
        }
        return value
    }
}
