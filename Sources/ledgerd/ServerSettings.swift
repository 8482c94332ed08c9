import ArgumentParser
import LedgerHTTP
import Logging

/// `ledgerd`'s configuration, read from the environment (PRODUCT.md §8). Every variable is
/// listed in `--help`; a value that does not parse stops the start with a message naming it.
struct ServerSettings {
    static let help = """
        Configuration is read from the environment:

          DATABASE_URL                    libpq connection URI (required)
          REDIS_URL                       redis://host:port/db
                                          (default redis://127.0.0.1:6379/0)
          LEDGER_HOST                     listen address (default 127.0.0.1)
          LEDGER_PORT                     listen port (default 8080)
          LEDGER_LOG_LEVEL                trace, debug, info, notice, warning,
                                          error or critical (default info)
          LEDGER_MIGRATE_ON_START         apply migrations first (default true)
          LEDGER_BODY_BYTES_MAX           request body limit (default 1048576)
          LEDGER_BATCH_BODY_BYTES_MAX     batch body limit (default 16777216)
          LEDGER_IDEMPOTENCY_RETENTION_SECONDS
                                          idempotency key retention
                                          (default 86400, at least 60)
          LEDGER_DB_CONNECTIONS_MAX       Postgres pool size (default 16)
          LEDGER_REDIS_CONNECTIONS_MAX    Redis pool size (default 16)
          LEDGER_REDIS_TIMEOUT_MS         Redis connect and command timeout
                                          (default 50)
          LEDGER_WRITE_QUEUE_MAX          queued writes before 503 (default 16384)
          LEDGER_RATE_LIMIT_DEFAULT_PER_SECOND
                                          requests per second of API keys made
                                          without --rate (default 1000)
          LEDGER_RATE_LIMIT_DEFAULT_BURST burst of API keys made without --burst
                                          (default 2000)
          LEDGER_RATE_LIMIT_FAIL_CLOSED   refuse requests (503) while Redis cannot
                                          be reached, instead of serving them
                                          unlimited (default false)
          LEDGER_RATE_LIMIT_TIMEOUT_MS    the most the rate limiter adds to a
                                          request (default 50)
          LEDGER_SHUTDOWN_TIMEOUT_SECONDS graceful shutdown limit (default 30)

        SIGTERM or SIGINT stops accepting connections, lets in-flight requests
        finish, commits queued writes, and exits 0.
        """

    var databaseURL: String
    var redisURL = "redis://127.0.0.1:6379/0"
    var http = HTTPConfiguration()
    var logLevel: Logger.Level = .info
    var migrateOnStart = true
    var idempotencyRetentionSeconds = 86_400
    var databaseConnectionsMax = 16
    var redisConnectionsMax = 16
    var redisTimeoutMilliseconds = 50
    var writeQueueMax = 16_384
    var shutdownTimeoutSeconds = 30

    init(environment: [String: String]) throws {
        guard let databaseURL = environment["DATABASE_URL"], !databaseURL.isEmpty else {
            throw ValidationError("DATABASE_URL is not set: give the libpq URI of the ledger database, e.g. postgresql://ledger@127.0.0.1:5432/ledger")
        }
        self.databaseURL = databaseURL
        func value(_ name: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws -> Int {
            guard let text = value(name) else { return fallback }
            guard let number = Int(text), range.contains(number) else {
                throw ValidationError("\(name) must be an integer from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
            }
            return number
        }
        if let url = value("REDIS_URL") { redisURL = url }
        if let host = value("LEDGER_HOST") { http.host = host }
        http.port = try integer("LEDGER_PORT", in: 0...65_535, default: 8080)
        if let level = value("LEDGER_LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw ValidationError("LEDGER_LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical, not \"\(level)\"")
            }
            logLevel = parsed
        }
        if let migrate = value("LEDGER_MIGRATE_ON_START") {
            switch migrate.lowercased() {
            case "true", "1", "yes": migrateOnStart = true
            case "false", "0", "no": migrateOnStart = false
            default: throw ValidationError("LEDGER_MIGRATE_ON_START must be true or false, not \"\(migrate)\"")
            }
        }
        http.requestBodyBytesMax = try integer("LEDGER_BODY_BYTES_MAX", in: 1_024...(256 << 20), default: 1 << 20)
        http.batchBodyBytesMax = try integer("LEDGER_BATCH_BODY_BYTES_MAX", in: 1_024...(256 << 20), default: 16 << 20)
        idempotencyRetentionSeconds = try integer("LEDGER_IDEMPOTENCY_RETENTION_SECONDS", in: 60...(90 * 86_400), default: 86_400)
        http.idempotency.retention = .seconds(idempotencyRetentionSeconds)
        databaseConnectionsMax = try integer("LEDGER_DB_CONNECTIONS_MAX", in: 2...512, default: 16)
        redisConnectionsMax = try integer("LEDGER_REDIS_CONNECTIONS_MAX", in: 1...512, default: 16)
        redisTimeoutMilliseconds = try integer("LEDGER_REDIS_TIMEOUT_MS", in: 1...10_000, default: 50)
        writeQueueMax = try integer("LEDGER_WRITE_QUEUE_MAX", in: 1...1_000_000, default: 16_384)
        shutdownTimeoutSeconds = try integer("LEDGER_SHUTDOWN_TIMEOUT_SECONDS", in: 1...3_600, default: 30)
        do {
            http.rateLimit = try RateLimitConfiguration(environment: environment)
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
