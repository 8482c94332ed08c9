/// One reply from the server, copied out of hiredis's reply tree into Swift values.
///
/// Error replies appear as `.error` only inside arrays and pipeline results: a top-level error
/// reply to ``RedisClient/command(_:)`` is thrown as a ``RedisError`` of kind `.server`.
public enum RedisReply: Sendable, Hashable {
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case null
    case array([RedisReply])

    /// A bulk reply decoded as UTF-8 (nil when it is not valid UTF-8), or a status reply's text.
    public var string: String? {
        switch self {
        case .status(let text):
            return text
        case .bulk(let bytes):
            return String(validating: bytes, as: UTF8.self)
        default:
            return nil
        }
    }

    /// An integer reply, or a bulk or status reply that holds a decimal integer
    /// (`GET` of a counter answers with a bulk string).
    public var int: Int64? {
        switch self {
        case .integer(let value):
            return value
        case .bulk, .status:
            return string.flatMap { Int64($0) }
        default:
            return nil
        }
    }

    /// The raw bytes of a bulk reply.
    public var bytes: [UInt8]? {
        if case .bulk(let bytes) = self { return bytes }
        return nil
    }

    /// The elements of an array reply.
    public var elements: [RedisReply]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// Whether this is the null reply (a missing key, a failed `SET NX`).
    public var isNull: Bool {
        self == .null
    }

    /// The text of an error reply.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}
