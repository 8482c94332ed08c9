#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Rows in Postgres's binary COPY format, for `copyIn("COPY … FROM STDIN (FORMAT binary)")`.
///
/// The server stores each field as it arrives, without parsing text: for wide rows of ids,
/// hashes and timestamps this costs it markedly less than `INSERT … SELECT FROM unnest(…)`.
/// The format: a signature, flags and a header extension length; per row the number of fields,
/// then each field as its length (-1 for NULL) and bytes; a trailer of -1. Integers are
/// big-endian. Each field's bytes must be exactly what the column type's binary input expects,
/// so every row must append its fields in the COPY's column order and with the column's type.
public struct PostgresBinaryCopy: Sendable {
    public let columnCount: Int
    public private(set) var rowCount = 0
    private var bytes: [UInt8]
    private var fieldsInRow: Int

    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    public init(columnCount: Int) {
        precondition((1...Int(Int16.max)).contains(columnCount), "a row holds from 1 to 32767 fields")
        self.columnCount = columnCount
        self.fieldsInRow = columnCount
        self.bytes = Self.signature
        BinaryArray.append(Int32(0), to: &self.bytes)  // flags: no OIDs
        BinaryArray.append(Int32(0), to: &self.bytes)  // no header extension
    }

    /// Starts a row; the one before must have all its fields.
    public mutating func beginRow() {
        precondition(fieldsInRow >= 0, "the stream is finished")
        precondition(fieldsInRow == columnCount, "the previous row has \(fieldsInRow) of \(columnCount) fields")
        withUnsafeBytes(of: Int16(columnCount).bigEndian) { bytes.append(contentsOf: $0) }
        fieldsInRow = 0
        rowCount += 1
    }

    /// The bytes appended since the last take, to send as one chunk of a streamed COPY; the
    /// first chunk starts with the header.
    public mutating func takeBytes() -> [UInt8] {
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }

    /// The last chunk: what is left, with the trailer. Nothing may be appended after it.
    public mutating func finish() -> [UInt8] {
        precondition(fieldsInRow == columnCount, "the last row has \(fieldsInRow) of \(columnCount) fields")
        withUnsafeBytes(of: Int16(-1).bigEndian) { bytes.append(contentsOf: $0) }
        fieldsInRow = -1
        return takeBytes()
    }

    // MARK: - Fields

    public mutating func appendNull() {
        field(length: -1)
    }

    /// A `uuid`.
    public mutating func append(_ value: UUID) {
        field(length: 16)
        withUnsafeBytes(of: value.uuid) { bytes.append(contentsOf: $0) }
    }

    /// A `bigint`.
    public mutating func append(_ value: Int64) {
        field(length: 8)
        BinaryArray.append(value, to: &bytes)
    }

    /// An `integer`.
    public mutating func append(_ value: Int32) {
        field(length: 4)
        BinaryArray.append(value, to: &bytes)
    }

    /// A `boolean`.
    public mutating func append(_ value: Bool) {
        field(length: 1)
        bytes.append(value ? 1 : 0)
    }

    /// A `text` (its UTF-8 bytes).
    public mutating func append(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            field(length: utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    /// A `bytea`.
    public mutating func append(bytes value: [UInt8]) {
        field(length: value.count)
        bytes.append(contentsOf: value)
    }

    /// A `timestamptz`, rounded to the microsecond exactly as the text and array forms round it.
    public mutating func append(_ value: Date) {
        field(length: 8)
        BinaryArray.append(TimestampText.microseconds(value) - BinaryArray.postgresEpochMicroseconds, to: &bytes)
    }

    /// A `numeric` holding an integer: a sign and base-10,000 digits, most significant first,
    /// with the weight of the first digit and no trailing zero digits (`numeric_recv`). The
    /// digits are worked out in a fixed buffer: this runs for every entry of a copied group.
    public mutating func append(numeric value: Int128) {
        // Int128's magnitude has at most 39 decimal digits: 10 base-10,000 digits.
        withUnsafeTemporaryAllocation(of: Int16.self, capacity: 10) { digits in
            var magnitude = value.magnitude
            var count = 0
            while magnitude > 0 {
                digits[count] = Int16(magnitude % 10_000)
                magnitude /= 10_000
                count += 1
            }
            // digits[0..<count] holds the least significant digit first; the weight counts the
            // stripped trailing zeros too.
            let weight = Int16(max(count - 1, 0))
            var lowest = 0
            while lowest < count, digits[lowest] == 0 {
                lowest += 1
            }
            let kept = count - lowest
            field(length: 8 + 2 * kept)
            appendBigEndian(Int16(kept))
            appendBigEndian(weight)
            appendBigEndian(value < 0 ? Self.numericNegative : 0)
            appendBigEndian(0)  // display scale: an integer
            var index = count
            while index > lowest {
                index -= 1
                appendBigEndian(digits[index])
            }
        }
    }

    private mutating func appendBigEndian(_ value: Int16) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    static let numericNegative = Int16(bitPattern: 0x4000)

    /// Optional forms: nil is NULL.
    public mutating func append(_ value: Int32?) {
        if let value { append(value) } else { appendNull() }
    }

    public mutating func append(_ value: String?) {
        if let value { append(value) } else { appendNull() }
    }

    public mutating func append(_ value: Date?) {
        if let value { append(value) } else { appendNull() }
    }

    private mutating func field(length: Int) {
        precondition(fieldsInRow >= 0 && fieldsInRow < columnCount, "a row holds \(columnCount) fields; call beginRow first")
        fieldsInRow += 1
        BinaryArray.append(Int32(length), to: &bytes)
    }
}
