import Foundation
import Logging
import Postgres
import Synchronization
import Testing

/// Finds the test server through DATABASE_URL. Without it every database test fails with a
/// message saying so: a suite that silently skips would pass without testing anything.
enum TestDatabase {
    struct MissingURL: Error, CustomStringConvertible {
        var description: String {
            "DATABASE_URL is not set: the Postgres tests need a real server (for example postgresql://postgres@127.0.0.1:5432/ledger)"
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "postgres-tests")
        logger.logLevel = .info
        return logger
    }()

    static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            Issue.record("DATABASE_URL is not set")
            throw MissingURL()
        }
        return url
    }

    static func configuration(_ adjust: (inout PostgresConfiguration) -> Void = { _ in }) throws -> PostgresConfiguration {
        var configuration = PostgresConfiguration(url: try self.url())
        configuration.applicationName = "postgres-tests"
        adjust(&configuration)
        return configuration
    }

    /// Creates a table of `columns` (and `rows`, a VALUES list) for one test, hands its name to
    /// `body`, and drops it afterwards, also when `body` throws.
    static func withTable<Value>(
        _ pool: PostgresPool,
        prefix: String,
        columns: String,
        rows: String? = nil,
        _ body: (String) async throws -> Value
    ) async throws -> Value {
        let table = uniqueTableName(prefix)
        var setup = "CREATE TABLE \(table) (\(columns))"
        if let rows { setup += "; INSERT INTO \(table) VALUES \(rows)" }
        try await pool.withConnection { [setup] in try $0.execute(setup, step: "setup") }
        do {
            let value = try await body(table)
            try await pool.withConnection { try $0.execute("DROP TABLE \(table)", step: "cleanup") }
            return value
        } catch {
            try? await pool.withConnection { try $0.execute("DROP TABLE \(table)", step: "cleanup") }
            throw error
        }
    }

    /// A fresh connection and a table of `columns` on it for one test; the table is dropped
    /// afterwards, also when `body` throws.
    static func withTable<Value>(
        prefix: String, columns: String, _ body: (PostgresConnection, String) throws -> Value
    ) throws -> Value {
        let connection = try connect()
        let table = uniqueTableName(prefix)
        try connection.execute("CREATE TABLE \(table) (\(columns))", step: "setup")
        defer { _ = try? connection.execute("DROP TABLE \(table)", step: "cleanup") }
        return try body(connection, table)
    }

    static func connect() throws -> PostgresConnection {
        let configuration = try self.configuration()
        return try PostgresConnection(url: configuration.url, configuration: configuration, logger: self.logger)
    }

    /// Runs `body` with a fresh pool and closes the pool afterwards, also when `body` throws.
    static func withPool<Value>(
        _ adjust: (inout PostgresConfiguration) -> Void = { _ in },
        _ body: (PostgresPool) async throws -> Value
    ) async throws -> Value {
        let pool = PostgresPool(configuration: try self.configuration(adjust), logger: self.logger)
        do {
            let value = try await body(pool)
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }

    /// A table name no other test (or concurrent test run) uses.
    static func uniqueTableName(_ prefix: String) -> String {
        "pgtest_\(prefix)_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
    }
}

/// Gets a thrown error as a `PostgresError`, recording an issue when something else (or nothing) was thrown.
func postgresError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> PostgresError? {
    do {
        try await body()
        Issue.record("expected a PostgresError, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        Issue.record("expected a PostgresError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Shared mutable test state that closures running on the pool's threads can capture.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        self.mutex = Mutex(value)
    }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        self.mutex.withLock { body(&$0) }
    }
}
