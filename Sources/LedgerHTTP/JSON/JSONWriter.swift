import Foundation
import LedgerCore

/// Writes response JSON straight into bytes, in the order fields are given.
///
/// Hand-written rather than `Codable` because responses carry Int128 balances as JSON integers,
/// metadata that is already canonical JSON text, and timestamps in one fixed format, and because
/// the same bytes are stored for idempotent replays: the encoding must not depend on a
/// library's choices.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// One flag per open container: whether a value was written in it, so the next needs a comma.
    private var containerHasValue: [Bool] = []
    /// Whether a key was just written, so the next value follows its colon without a comma.
    private var afterKey = false

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: - Containers

    mutating func objectStart() {
        beforeValue()
        bytes.append(UInt8(ascii: "{"))
        containerHasValue.append(false)
    }

    mutating func objectEnd() {
        precondition(!afterKey, "a key was written without its value")
        containerHasValue.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func arrayStart() {
        beforeValue()
        bytes.append(UInt8(ascii: "["))
        containerHasValue.append(false)
    }

    mutating func arrayEnd() {
        containerHasValue.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func key(_ name: String) {
        precondition(!afterKey, "two keys in a row")
        if containerHasValue.last == true { bytes.append(UInt8(ascii: ",")) }
        if !containerHasValue.isEmpty { containerHasValue[containerHasValue.count - 1] = true }
        JSONValue.writeString(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    // MARK: - Values

    mutating func null() {
        beforeValue()
        bytes.append(contentsOf: "null".utf8)
    }

    mutating func string(_ value: String) {
        beforeValue()
        JSONValue.writeString(value, into: &bytes)
    }

    mutating func bool(_ value: Bool) {
        beforeValue()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func integer(_ value: some BinaryInteger) {
        beforeValue()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Writes JSON text that is already valid, such as stored canonical metadata.
    mutating func raw(_ json: String) {
        beforeValue()
        bytes.append(contentsOf: json.utf8)
    }

    /// Writes bytes that are already one valid JSON value.
    mutating func raw(bytes json: [UInt8]) {
        beforeValue()
        bytes.append(contentsOf: json)
    }

    mutating func uuid(_ value: UUID) {
        string(value.lowercasedString)
    }

    /// RFC 3339 in UTC with microseconds, the precision the ledger stores.
    mutating func timestamp(_ value: Date) {
        string(RFC3339.format(value))
    }

    // MARK: - Fields

    mutating func field(_ name: String, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    mutating func field(_ name: String, _ value: (some BinaryInteger)?) {
        key(name)
        if let value { integer(value) } else { null() }
    }

    mutating func field(_ name: String, uuid value: UUID) {
        key(name)
        uuid(value)
    }

    mutating func field(_ name: String, timestamp value: Date?) {
        key(name)
        if let value { timestamp(value) } else { null() }
    }

    mutating func field(_ name: String, rawJSON value: String?) {
        key(name)
        if let value { raw(value) } else { null() }
    }

    private mutating func beforeValue() {
        if afterKey {
            afterKey = false
            return
        }
        if containerHasValue.last == true { bytes.append(UInt8(ascii: ",")) }
        if !containerHasValue.isEmpty { containerHasValue[containerHasValue.count - 1] = true }
    }
}
