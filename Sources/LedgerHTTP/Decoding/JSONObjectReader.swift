import Foundation
import LedgerCore

/// Reads the fields of one JSON object into typed values, by hand and strictly.
///
/// Each accessor checks one field's type and bounds and throws a 400 problem naming the field
/// (with its path inside the body, such as `transfers.3.amount`); `finish()` refuses any
/// field that no accessor asked for, so a misspelt field is an error rather than ignored.
/// `null` for an optional field means the field is absent.
struct JSONObjectReader {
    private let members: [String: JSONValue]
    private var consumed: Set<String> = []
    /// Prefix of field names in problems (`transfers.3.`), empty at the top level.
    let path: String

    init(_ value: JSONValue, path: String = "", what: String = "the request body") throws(Problem) {
        guard case .object(let members) = value else {
            throw Problem.invalid("\(what) must be a JSON object, not \(value.typeName)", field: path.isEmpty ? nil : String(path.dropLast()))
        }
        // The parser refused duplicate keys byte for byte; canonically equivalent spellings of
        // one name are still two different keys, and neither is a field we know unless exact.
        var byKey: [String: JSONValue] = [:]
        for member in members where byKey[member.key] == nil {
            byKey[member.key] = member.value
        }
        self.members = byKey
        self.path = path
    }

    func fieldPath(_ name: String) -> String { path + name }

    /// The raw value of a field, or nil when it is absent or null.
    mutating func value(_ name: String) -> JSONValue? {
        consumed.insert(name)
        guard let value = members[name], value != .null else { return nil }
        return value
    }

    mutating func require(_ name: String) throws(Problem) -> JSONValue {
        guard let value = value(name) else { throw Problem.invalid("\(name) is required", field: fieldPath(name)) }
        return value
    }

    // MARK: - Typed fields

    mutating func string(_ name: String, charactersMax: Int, bytesMax: Int? = nil) throws(Problem) -> String? {
        guard let value = value(name) else { return nil }
        guard case .string(let text) = value else {
            throw Problem.invalid("\(name) must be a string, not \(value.typeName)", field: fieldPath(name))
        }
        guard text.count <= charactersMax, text.utf8.count <= (bytesMax ?? charactersMax * 4) else {
            throw Problem.invalid("\(name) must be at most \(charactersMax) characters", field: fieldPath(name))
        }
        // Postgres text cannot hold U+0000; refusing it here keeps it from ever reaching a query.
        guard !text.utf8.contains(0) else {
            throw Problem.invalid("\(name) must not contain U+0000", field: fieldPath(name))
        }
        return text
    }

    mutating func bool(_ name: String) throws(Problem) -> Bool? {
        guard let value = value(name) else { return nil }
        guard case .bool(let flag) = value else {
            throw Problem.invalid("\(name) must be true or false, not \(value.typeName)", field: fieldPath(name))
        }
        return flag
    }

    mutating func uuid(_ name: String) throws(Problem) -> UUID? {
        guard let value = value(name) else { return nil }
        guard case .string(let text) = value, let id = Self.parseUUID(text) else {
            throw Problem.invalid("\(name) must be a UUID string", field: fieldPath(name))
        }
        return id
    }

    mutating func requireUUID(_ name: String) throws(Problem) -> UUID {
        guard let id = try uuid(name) else { throw Problem.invalid("\(name) is required", field: fieldPath(name)) }
        return id
    }

    /// A JSON integer in `range`. Floats (`1.0`, `1e2`), strings and out-of-range values are
    /// refused with the same message, which says what is accepted.
    mutating func integer(_ name: String, in range: ClosedRange<Int64>) throws(Problem) -> Int64? {
        guard let value = value(name) else { return nil }
        let message = "\(name) must be a JSON integer from \(range.lowerBound) to \(range.upperBound)"
        guard case .number(let token) = value, let number = Self.parseInteger(token), range.contains(number) else {
            throw Problem.invalid(message, field: fieldPath(name))
        }
        return number
    }

    /// An amount of minor units: a JSON integer from 1 to 2^63−1 (PRODUCT.md §1).
    mutating func amount(_ name: String) throws(Problem) -> Int64? {
        try integer(name, in: 1...Int64.max)
    }

    mutating func requireAmount(_ name: String) throws(Problem) -> Int64 {
        guard let amount = try amount(name) else { throw Problem.invalid("\(name) is required", field: fieldPath(name)) }
        return amount
    }

    mutating func currency(_ name: String) throws(Problem) -> Currency {
        let value = try require(name)
        guard case .string(let text) = value, let currency = Currency(text) else {
            throw Problem.invalid("\(name) must be a currency code matching ^[A-Z][A-Z0-9]{2,11}$", field: fieldPath(name))
        }
        return currency
    }

    /// Metadata: a JSON object, stored as canonical JSON of at most `Limits.metadataBytesMax` bytes.
    mutating func metadata(_ name: String) throws(Problem) -> String? {
        guard let value = value(name) else { return nil }
        guard case .object = value else {
            throw Problem.invalid("\(name) must be a JSON object, not \(value.typeName)", field: fieldPath(name))
        }
        let canonical = value.canonicalBytes
        guard canonical.count <= Limits.metadataBytesMax else {
            throw Problem.invalid("\(name) must be at most \(Limits.metadataBytesMax) bytes of JSON", field: fieldPath(name))
        }
        return String(decoding: canonical, as: UTF8.self)
    }

    /// Refuses fields nobody asked for.
    func finish() throws(Problem) {
        for key in members.keys.sorted() where !consumed.contains(key) {
            throw Problem.invalid("unknown field \(Self.quoted(key))", field: fieldPath(Self.quoted(key)))
        }
    }

    // MARK: - Scalars

    /// A decimal integer token without fraction or exponent that fits in Int64.
    static func parseInteger(_ token: String) -> Int64? {
        guard !token.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return nil }
        return Int64(token)
    }

    /// The canonical 8-4-4-4-12 hex form only.
    static func parseUUID(_ text: String) -> UUID? {
        UUID(canonical: text)
    }

    /// A client's key echoed back, cut short and stripped of control characters.
    private static func quoted(_ key: String) -> String {
        String(key.unicodeScalars.prefix(64).filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
    }
}
