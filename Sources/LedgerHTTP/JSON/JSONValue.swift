/// A parsed JSON document that loses nothing a client wrote that matters to the ledger.
///
/// Numbers keep the exact text of their token, so an amount of `9223372036854775808` or `1.0`
/// is seen for what it is instead of being rounded through a Double; objects keep their members
/// in the order written, and the parser has already refused duplicate keys.
enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number token exactly as written (`-12`, `1.0`, `1e3`).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The JSON type's name, for messages such as "amount must be an integer, not a string".
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// One member of a JSON object.
struct JSONMember: Sendable, Hashable {
    var key: String
    var value: JSONValue

    init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}
