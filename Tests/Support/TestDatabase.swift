import Foundation
public import Logging
public import Postgres
import LedgerStore

/// A fresh, migrated database for one test suite, on the Postgres that `make test` started.
///
/// Each suite gets its own database so suites can run in parallel without seeing each other's
/// rows; `drop()` removes it. The server is found through DATABASE_URL, and its absence fails
/// the test loudly rather than skipping it.
public final class TestDatabase: Sendable {
    public let name: String
    public let url: String
    public let pool: PostgresPool
    private let adminURL: String

    public static var serverURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
                throw TestEnvironmentError(message: "DATABASE_URL is not set: run the tests with `make test`, which starts Postgres")
            }
            return url
        }
    }

    public static func create(label: String = "t", connectionsMax: Int = 8, logger: Logger = Logger(label: "test")) async throws -> TestDatabase {
        let adminURL = try serverURL
        let name = "ledger_\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UInt32.random(in: .min ... .max))"
        let admin = PostgresPool(configuration: PostgresConfiguration(url: adminURL), logger: logger)
        do {
            try await admin.withConnection { connection in
                // The name is built from letters and digits only above, so it is safe to splice.
                try connection.execute("CREATE DATABASE \(name)", step: "create test database")
            }
        } catch {
            await admin.close()
            throw error
        }
        await admin.close()
        let url = replacingDatabase(in: adminURL, with: name)
        var configuration = PostgresConfiguration(url: url)
        configuration.connectionsMax = connectionsMax
        let pool = PostgresPool(configuration: configuration, logger: logger)
        let database = TestDatabase(name: name, url: url, pool: pool, adminURL: adminURL)
        do {
            _ = try await Migrator.bundled().migrate(pool: pool, logger: logger)
        } catch {
            await database.drop()
            throw error
        }
        return database
    }

    private init(name: String, url: String, pool: PostgresPool, adminURL: String) {
        self.name = name
        self.url = url
        self.pool = pool
        self.adminURL = adminURL
    }

    public func drop() async {
        await pool.close()
        let admin = PostgresPool(configuration: PostgresConfiguration(url: adminURL), logger: Logger(label: "test"))
        _ = try? await admin.withConnection { [name] connection in
            try connection.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", step: "drop test database")
        }
        await admin.close()
    }

    /// The same server URL with another database name (`postgresql://user@host:port/db?params`).
    public static func replacingDatabase(in url: String, with database: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + database
        return components.string ?? url
    }
}

public struct TestEnvironmentError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}
