import CHiredis

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking hiredis connection. It owns its `redisContext` and frees it in `deinit`.
///
/// A context is not thread-safe, so a connection is leased to one caller at a time by
/// ``RedisConnectionPool``; that lease (handed over through locks and continuations) is what
/// makes the `@unchecked Sendable` sound. Every method blocks and runs on the client's thread
/// pool. After any I/O, protocol or timeout error the context is dead (hiredis keeps `err` set
/// and a timed-out reply may still arrive later), so the connection marks itself broken and
/// the pool frees it instead of reusing it.
final class RedisConnection: @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>
    /// The kind of the error that broke this connection, or nil while it is healthy.
    private(set) var failure: RedisError.Kind?

    var isBroken: Bool {
        failure != nil
    }

    private init(context: UnsafeMutablePointer<redisContext>) {
        self.context = context
    }

    deinit {
        redisFree(context)
    }

    /// Opens a TCP connection within `connectTimeout` and sets the socket's read and write
    /// timeouts to `commandTimeout`.
    ///
    /// Name resolution (getaddrinfo) happens inside hiredis and is not bounded by
    /// `connectTimeout`; use an IP address or a name the resolver answers locally.
    static func connect(
        host: String,
        port: Int,
        connectTimeout: Duration,
        commandTimeout: Duration
    ) throws(RedisError) -> RedisConnection {
        guard let context = redisConnectWithTimeout(host, Int32(port), connectTimeout.asTimeval) else {
            throw RedisError(kind: .connect, message: "\(host):\(port): hiredis could not allocate a context")
        }
        // From here on the connection owns the context, so every exit below frees it.
        let connection = RedisConnection(context: context)
        guard context.pointee.err == 0 else {
            throw RedisError(kind: .connect, message: "\(host):\(port): \(connection.errorText)")
        }
        guard redisSetTimeout(context, commandTimeout.asTimeval) == REDIS_OK else {
            throw RedisError(kind: .connect, message: "\(host):\(port): cannot set timeouts: \(connection.errorText)")
        }
        return connection
    }

    /// Sends one command and reads its reply: one round trip.
    func command(_ arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        try append(arguments)
        return try readReply()
    }

    /// Appends every command to the output buffer, then reads one reply per command: hiredis
    /// writes the whole buffer before the first read, so this is one round trip.
    func pipeline(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisReply] {
        for arguments in commands {
            try append(arguments)
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            replies.append(try readReply())
        }
        return replies
    }

    private func append(_ arguments: [[UInt8]]) throws(RedisError) {
        precondition(!isBroken, "a broken Redis connection must not be reused")
        precondition(!arguments.isEmpty, "a Redis command needs at least its name")
        let status = Self.withArgv(arguments) { count, values, lengths in
            redisAppendCommandArgv(context, count, values, lengths)
        }
        guard status == REDIS_OK else {
            throw fail(savedErrno: errno)
        }
    }

    private func readReply() throws(RedisError) -> RedisReply {
        precondition(!isBroken, "a broken Redis connection must not be reused")
        var raw: UnsafeMutableRawPointer?
        let status = redisGetReply(context, &raw)
        // errno is read at once, before any other call can change it: it tells a timeout apart.
        let savedErrno = errno
        guard status == REDIS_OK else {
            if let raw { freeReplyObject(raw) }
            throw fail(savedErrno: savedErrno)
        }
        guard let raw else {
            failure = .protocolError
            throw RedisError(kind: .protocolError, message: "hiredis returned no reply")
        }
        defer { freeReplyObject(raw) }
        do {
            return try RedisReply(copying: raw.assumingMemoryBound(to: redisReply.self))
        } catch {
            failure = error.kind
            throw error
        }
    }

    /// Marks the connection broken and turns hiredis's error into a typed error.
    private func fail(savedErrno: Int32) -> RedisError {
        let kind: RedisError.Kind
        switch context.pointee.err {
        case REDIS_ERR_IO where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK || savedErrno == ETIMEDOUT:
            kind = .timeout
        case REDIS_ERR_PROTOCOL:
            kind = .protocolError
        default:
            kind = .io
        }
        failure = kind
        let text = kind == .timeout ? "no answer within the command timeout" : errorText
        return RedisError(kind: kind, message: text)
    }

    private var errorText: String {
        guard let text = CHiredis_errstr(context), text.pointee != 0 else {
            return "unknown hiredis error \(context.pointee.err)"
        }
        return String(cString: text)
    }

    /// Lays the arguments out as the `argv` / `argvlen` pair hiredis wants, with explicit
    /// lengths so every byte (NUL included) is sent as is.
    private static func withArgv<Result>(
        _ arguments: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Result
    ) -> Result {
        precondition(arguments.count <= Int(Int32.max), "too many arguments for one Redis command")
        var flat: [UInt8] = []
        flat.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        var offsets: [Int] = []
        offsets.reserveCapacity(arguments.count)
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(flat.count)
            lengths.append(argument.count)
            flat.append(contentsOf: argument)
        }
        // One spare byte keeps the buffer non-empty, so even empty arguments get a valid pointer.
        flat.append(0)
        return flat.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                let base = characters.baseAddress!
                var values: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
                return values.withUnsafeMutableBufferPointer { valuePointers in
                    lengths.withUnsafeBufferPointer { lengthPointers in
                        body(Int32(arguments.count), valuePointers.baseAddress!, lengthPointers.baseAddress!)
                    }
                }
            }
        }
    }
}

extension Duration {
    /// This duration as a `timeval`, at least one microsecond, because hiredis and the kernel
    /// read a zero timeout as "wait forever".
    var asTimeval: timeval {
        let (seconds, attoseconds) = components
        var microseconds = attoseconds / 1_000_000_000_000
        if seconds <= 0 && microseconds <= 0 {
            microseconds = 1
        }
        return timeval(tv_sec: .init(seconds), tv_usec: .init(microseconds))
    }
}
