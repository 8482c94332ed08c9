public import Foundation
public import Logging
public import Postgres

/// Applies the numbered SQL files of `Migrations/` in order, each in its own transaction.
///
/// An advisory lock keeps two migrators (two `ledgerd` starting at once) from racing; a
/// checksum per applied file makes editing a landed migration an error rather than a silent
/// divergence between databases.
public struct Migrator: Sendable {
    public struct Migration: Sendable, Hashable {
        public var version: Int
        public var name: String
        public var sql: String
        public var checksum: [UInt8]
    }

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Arbitrary but fixed: the advisory lock that serializes migrators of this schema.
    static let advisoryLockKey: Int64 = 0x4C45_4447_4552_0001

    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// The migrations shipped with this build.
    public static func bundled() throws -> Migrator {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw Failure(message: "the Migrations resource is missing from this build")
        }
        return try Migrator(directory: directory)
    }

    public init(directory: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        var migrations: [Migration] = []
        for file in files {
            guard let version = Int(file.prefix(while: \.isNumber)), version > 0 else {
                throw Failure(message: "migration file \(file) does not start with its version number")
            }
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            guard let sql = String(data: data, encoding: .utf8) else {
                throw Failure(message: "migration file \(file) is not UTF-8")
            }
            migrations.append(Migration(version: version, name: file, sql: sql, checksum: SHA256.hash(Array(data))))
        }
        guard Set(migrations.map(\.version)).count == migrations.count else {
            throw Failure(message: "two migration files share a version number")
        }
        self.init(migrations: migrations)
    }

    /// Applies what is missing and returns the names applied now.
    public func migrate(pool: PostgresPool, logger: Logger) async throws -> [String] {
        let migrations = self.migrations
        return try await pool.withConnection { connection in
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   bytea NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                step: "create schema_migrations"
            )
            _ = try connection.query("SELECT pg_advisory_lock($1)", [.init(Self.advisoryLockKey)], step: "lock migrations")
            defer {
                _ = try? connection.query("SELECT pg_advisory_unlock($1)", [.init(Self.advisoryLockKey)], step: "unlock migrations")
            }
            let applied = try connection.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version", step: "read schema_migrations")
            var appliedChecksums: [Int: [UInt8]] = [:]
            for row in applied {
                appliedChecksums[try row.int(0)] = try row.bytes(2)
            }
            let known = Set(migrations.map(\.version))
            if let unknown = appliedChecksums.keys.sorted().first(where: { !known.contains($0) }) {
                throw Failure(message: "the database has migration \(unknown), which this build does not know: refusing to run an older build against it")
            }
            for migration in migrations {
                if let checksum = appliedChecksums[migration.version], checksum != migration.checksum {
                    throw Failure(message: "migration \(migration.name) was edited after it was applied: refusing to run")
                }
            }
            var done: [String] = []
            for migration in migrations where appliedChecksums[migration.version] == nil {
                try connection.execute("BEGIN", step: "begin \(migration.name)")
                do {
                    try connection.execute(migration.sql, step: "apply \(migration.name)")
                    _ = try connection.query(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        [.init(migration.version), .init(migration.name), .init(bytes: migration.checksum)],
                        step: "record \(migration.name)"
                    )
                    try connection.execute("COMMIT", step: "commit \(migration.name)")
                } catch {
                    try? connection.execute("ROLLBACK", step: "rollback \(migration.name)")
                    throw error
                }
                logger.info("migration applied", metadata: ["db.migration": "\(migration.name)"])
                done.append(migration.name)
            }
            return done
        }
    }
}
