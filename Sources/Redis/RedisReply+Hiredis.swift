import CHiredis

extension RedisReply {
    /// Copies a hiredis reply tree; the caller still owns `reply` and frees it.
    ///
    /// Recursion is bounded because hiredis's reader refuses replies nested deeper than its
    /// fixed stack.
    init(copying reply: UnsafePointer<redisReply>) throws(RedisError) {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STRING:
            self = .bulk(Self.bytes(node.str, node.len))
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: Self.bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.bytes(node.str, node.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(node.integer))
        case REDIS_REPLY_NIL:
            self = .null
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(node.elements)
            for index in 0..<node.elements {
                guard let child = node.element?[index] else {
                    throw RedisError(kind: .protocolError, message: "array reply has a missing element")
                }
                elements.append(try RedisReply(copying: child))
            }
            self = .array(elements)
        default:
            throw RedisError(kind: .protocolError, message: "unknown reply type \(node.type)")
        }
    }

    private static func bytes(_ start: UnsafeMutablePointer<CChar>?, _ count: Int) -> [UInt8] {
        guard let start, count > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: count))
    }
}
