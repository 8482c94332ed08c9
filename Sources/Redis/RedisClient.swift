public import Logging
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Redis client over hiredis with a bounded connection pool, per-call time limits and a
/// circuit that makes a down server answer fast.
///
/// **Time bound.** Every call finishes within roughly
/// `commandTimeout` (waiting for a free connection, only when all `connectionsMax` are leased)
/// `+ connectTimeout` (only when it has to open a connection)
/// `+ 2 × commandTimeout` per round trip (one socket write and one socket read, each bounded by
/// the socket timeouts that `redisSetTimeout` sets; a reply that trickles in over several reads
/// can take longer, which small replies do not). `evalScript` takes one round trip, or two when
/// the server has lost the script. With the defaults a `command` ends within about 200 ms, and
/// in practice within the server's answer time plus a millisecond.
///
/// **A down server.** After a failed connect, calls fail at once with `.unavailable` for
/// `reconnectBackoff`; then one call probes with a new connect while the others keep failing
/// fast, and the first successful connect closes the circuit. No connect attempts pile up.
/// Connect failures are logged at most once per `reconnectBackoff`.
///
/// **Broken connections.** A connection that had any I/O, protocol or timeout error is freed,
/// never reused; the next call opens a fresh one. A command whose connection broke may or may
/// not have run on the server.
///
/// Blocking hiredis calls run on the client's own `NIOThreadPool` of `connectionsMax` threads,
/// so Redis calls never queue behind database calls nor occupy Swift's cooperative threads.
/// The client connects lazily, on the first call. Creating a client makes the process ignore
/// `SIGPIPE`, because hiredis writes with `write(2)`, and a write to a connection the server
/// has reset would otherwise kill the process.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration

    let logger: Logger
    let pool: RedisConnectionPool
    private let threadPool: NIOThreadPool
    private let batcher: RedisCommandBatcher
    /// SHA1 of each script's source, learned from `SCRIPT LOAD`.
    let scriptHashes = Mutex<[String: String]>([:])

    /// The most distinct scripts whose hashes one client remembers; scripts past it still run,
    /// through `EVAL`, so a program that builds scripts at run time cannot grow the cache forever.
    static let scriptHashesMax = 256

    public init(configuration: RedisConfiguration, logger: Logger) {
        precondition(configuration.connectionsMax >= 1, "connectionsMax must be at least 1")
        precondition(configuration.waitersMax >= 0, "waitersMax must not be negative")
        precondition(configuration.pipelineCommandsMax >= 1, "pipelineCommandsMax must be at least 1")
        precondition(configuration.connectTimeout > .zero, "connectTimeout must be positive")
        precondition(configuration.commandTimeout > .zero, "commandTimeout must be positive")
        precondition(configuration.reconnectBackoff >= .zero, "reconnectBackoff must not be negative")
        precondition((1...65_535).contains(configuration.port), "port must be from 1 to 65535")
        precondition(configuration.database >= 0, "database must not be negative")
        precondition(
            configuration.clientName.map { !$0.isEmpty && !$0.contains(where: \.isWhitespace) } ?? true,
            "clientName must be non-empty and free of whitespace"
        )
        Self.ignoreBrokenPipeSignal()
        self.configuration = configuration
        self.logger = logger
        self.pool = RedisConnectionPool(configuration: configuration, logger: logger)
        self.threadPool = NIOThreadPool(numberOfThreads: configuration.connectionsMax)
        self.threadPool.start()
        self.batcher = RedisCommandBatcher(
            flushersMax: max(2, configuration.batchFlushersMax),
            commandsPerFlushMax: configuration.pipelineCommandsMax,
            queuedCallersMax: configuration.waitersMax + max(2, configuration.batchFlushersMax)
        )
    }

    deinit {
        // NIOThreadPool must be shut down before it is released; this is a no-op after `close`.
        threadPool.shutdownGracefully { _ in }
    }

    /// Runs any command; arguments are sent as their UTF-8 bytes.
    /// A top-level error reply throws `.server`.
    public func command(_ arguments: [String]) async throws(RedisError) -> RedisReply {
        try await command(bytes: arguments.map { Array($0.utf8) })
    }

    /// Runs any command with binary-safe arguments. A top-level error reply throws `.server`.
    public func command(bytes arguments: [[UInt8]]) async throws(RedisError) -> RedisReply {
        guard !arguments.isEmpty else {
            throw RedisError(kind: .protocolError, message: "a command needs at least its name")
        }
        let reply = try await batched([arguments])[0]
        if case .error(let message) = reply {
            throw RedisError(kind: .server, message: message)
        }
        return reply
    }

    /// Sends every command, then reads every reply: one round trip. Error replies come back as
    /// `.error` in their place; only a failure of the connection throws.
    public func pipeline(_ commands: [[String]]) async throws(RedisError) -> [RedisReply] {
        try await pipeline(bytes: commands.map { $0.map { Array($0.utf8) } })
    }

    /// The binary-safe form of ``pipeline(_:)``.
    public func pipeline(bytes commands: [[[UInt8]]]) async throws(RedisError) -> [RedisReply] {
        guard !commands.isEmpty else {
            return []
        }
        guard commands.count <= configuration.pipelineCommandsMax else {
            throw RedisError(
                kind: .protocolError,
                message: "a pipeline of \(commands.count) commands exceeds pipelineCommandsMax \(configuration.pipelineCommandsMax)"
            )
        }
        guard commands.allSatisfy({ !$0.isEmpty }) else {
            throw RedisError(kind: .protocolError, message: "a command needs at least its name")
        }
        return try await batched(commands)
    }

    /// Sends the commands in a pipeline shared with concurrent callers (`RedisCommandBatcher`).
    func batched(_ commands: [[[UInt8]]]) async throws(RedisError) -> [RedisReply] {
        try await batcher.submit(commands) { [self] all in
            do throws(RedisError) {
                return .success(try await withConnection { connection throws(RedisError) in
                    try connection.pipeline(all)
                })
            } catch {
                return .failure(error)
            }
        }.get()
    }

    /// Checks that the server answers `PONG`.
    public func ping() async throws(RedisError) {
        let reply = try await command(["PING"])
        guard reply == .status("PONG") else {
            throw RedisError(kind: .protocolError, message: "PING answered \(reply)")
        }
    }

    /// Fails every later call with `.closed`, frees the idle connections and stops the thread
    /// pool once the calls in flight have finished. Calling it again does nothing.
    public func close() async {
        pool.close()
        do {
            try await threadPool.shutdownGracefully()
        } catch {
            logger.debug("redis thread pool shutdown failed", metadata: ["redis.error": "\(error)"])
        }
    }

    /// Leases a connection (opening one if needed), runs `body` on the thread pool and returns
    /// the connection, which the pool frees if `body` broke it.
    func withConnection<Value: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> Value
    ) async throws(RedisError) -> Value {
        let connection: RedisConnection
        switch await pool.acquire() {
        case .failure(let error):
            throw error
        case .success(.connection(let leased)):
            connection = leased
        case .success(.connect):
            connection = try await openConnection()
        }
        let result = await runBlocking { () throws(RedisError) -> Value in
            try body(connection)
        }
        pool.release(connection)
        return try result.get()
    }

    /// Opens and prepares a connection in a slot the pool granted, and tells the pool how it went.
    private func openConnection() async throws(RedisError) -> RedisConnection {
        let configuration = configuration
        let result = await runBlocking { () throws(RedisError) -> RedisConnection in
            let connection = try RedisConnection.connect(
                host: configuration.host,
                port: configuration.port,
                connectTimeout: configuration.connectTimeout,
                commandTimeout: configuration.commandTimeout
            )
            try Self.prepare(connection, configuration: configuration)
            return connection
        }
        switch result {
        case .success(let connection):
            pool.connectSucceeded()
            return connection
        case .failure(let error) where error.kind == .closed:
            pool.connectAbandoned()
            throw error
        case .failure(let error):
            pool.connectFailed(error)
            throw error
        }
    }

    /// Selects the database and names the connection, in one round trip. Any failure counts as
    /// a failed connect, so a wrong database number opens the circuit instead of failing
    /// every call slowly.
    private static func prepare(_ connection: RedisConnection, configuration: RedisConfiguration) throws(RedisError) {
        var setup: [[String]] = []
        if configuration.database != 0 {
            setup.append(["SELECT", String(configuration.database)])
        }
        if let name = configuration.clientName {
            setup.append(["CLIENT", "SETNAME", name])
        }
        guard !setup.isEmpty else { return }
        let replies: [RedisReply]
        do {
            replies = try connection.pipeline(setup.map { $0.map { Array($0.utf8) } })
        } catch {
            throw RedisError(kind: .connect, message: "connection setup failed: \(error.message)")
        }
        for reply in replies {
            if case .error(let message) = reply {
                throw RedisError(kind: .connect, message: "connection setup failed: \(message)")
            }
        }
    }

    /// Runs blocking work on the client's thread pool. The pool has a thread per connection
    /// slot, so work never waits in its queue; it fails with `.closed` once the pool has stopped.
    private func runBlocking<Value: Sendable>(
        _ body: @escaping @Sendable () throws(RedisError) -> Value
    ) async -> Result<Value, RedisError> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, RedisError>, Never>) in
            // `submit` rather than `runIfActive`: work already handed to a connection must run to
            // its (bounded) end even if the calling task is cancelled, so the lease is kept exact.
            threadPool.submit { state in
                switch state {
                case .active:
                    continuation.resume(returning: Result { () throws(RedisError) in try body() })
                case .cancelled:
                    continuation.resume(returning: .failure(RedisError(kind: .closed, message: "the client is closed")))
                }
            }
        }
    }

    private static let brokenPipeSignalIgnored: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    private static func ignoreBrokenPipeSignal() {
        _ = brokenPipeSignalIgnored
    }
}
