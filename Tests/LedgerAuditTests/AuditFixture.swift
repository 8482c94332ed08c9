import Foundation
import LedgerAudit
import LedgerCore
import LedgerStore
import LedgerTestSupport
import Logging
import Postgres
import Synchronization
import Testing

/// A migrated database with a running committer, torn down on every path. History is built
/// through the real write path only; rows are written by hand only to tamper on purpose.
struct AuditFixture {
    let database: TestDatabase
    let committer: Committer
    let logger = Logger(label: "test.audit")

    static func with<T>(label: String, _ body: (AuditFixture) async throws -> T) async throws -> T {
        try await TestDatabase.withCommitter(label: label) { database, committer in
            try await body(AuditFixture(database: database, committer: committer))
        }
    }

    /// Submits the commands as one request; every one must succeed.
    @discardableResult
    func submit(_ commands: [LedgerCommand]) async throws -> [LedgerEffect] {
        guard case .completed(let results, _) = try await committer.submit(WriteRequest(commands: commands)) else {
            throw TestEnvironmentError(message: "a request without an idempotency key cannot be replayed")
        }
        return try results.map { try $0.get() }
    }

    func openAccount(_ currency: String = "EUR", code: String? = nil, flags: AccountFlags = []) async throws -> UUID {
        let id = UUID.v7()
        try await submit([.createAccount(NewAccount(id: id, code: code, currency: Currency(currency)!, flags: flags, metadata: nil))])
        return id
    }

    static func transfer(_ from: UUID, _ to: UUID, _ amount: Int64, _ currency: String = "EUR", pending: Bool = false) -> LedgerCommand {
        .createTransfer(NewTransfer(id: .v7(), debitAccountID: from, creditAccountID: to, amount: amount, currency: Currency(currency)!, isPending: pending))
    }

    // MARK: - Audits

    func verify(pool: PostgresPool? = nil) async throws -> (VerifyReport, [Discrepancy]) {
        let found = Mutex<[Discrepancy]>([])
        let report = try await Verifier(pool: pool ?? database.pool, logger: logger).run { discrepancy in
            found.withLock { $0.append(discrepancy) }
        }
        return (report, found.withLock { $0 })
    }

    func export(
        _ account: AccountReference, _ period: StatementPeriod, _ format: StatementFormat, pool: PostgresPool? = nil
    ) async throws -> (Statement, String) {
        let output = MemoryOutput()
        let statement = try await StatementExporter(pool: pool ?? database.pool, logger: logger)
            .export(account: account, period: period, format: format, to: output)
        return (statement, output.text)
    }

    // MARK: - Other roles

    /// Runs SQL as a superuser with the append-only triggers switched off for the session
    /// (`session_replication_role = replica`), the way someone would change rows behind the
    /// service's back. `make test`'s DATABASE_URL role is not a superuser, so this connects as
    /// `postgres` on the same host and port (trust authentication on the private test server)
    /// unless DATABASE_URL's own role is one.
    func tamper(_ sql: String) async throws {
        let isSuperuser = try await database.pool.withConnection { connection in
            try connection.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", step: "am I superuser").first?.bool(0)
        } ?? false
        let url = isSuperuser ? database.url : Self.url(database.url, user: "postgres")
        let pool = PostgresPool(configuration: PostgresConfiguration(url: url), logger: logger)
        do {
            try await pool.withConnection { connection in
                try connection.execute(
                    "BEGIN; SET LOCAL session_replication_role = replica; \(sql); COMMIT", step: "tamper"
                )
            }
            await pool.close()
        } catch {
            await pool.close()
            throw error
        }
    }

    /// Runs `body` with a pool that logs in as the read-only `ledger_auditor` role the
    /// migrations create.
    func asAuditor<T>(_ body: (PostgresPool) async throws -> T) async throws -> T {
        let pool = PostgresPool(configuration: PostgresConfiguration(url: Self.url(database.url, user: "ledger_auditor")), logger: logger)
        do {
            let result = try await body(pool)
            await pool.close()
            return result
        } catch {
            await pool.close()
            throw error
        }
    }

    static func url(_ url: String, user: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.user = user
        components.password = nil
        return components.string ?? url
    }
}

/// Collects an export in memory and remembers the size of every chunk it was handed.
final class MemoryOutput: StatementOutput {
    private let state = Mutex<(bytes: [UInt8], chunks: [Int])>(([], []))

    func write(_ bytes: [UInt8]) throws(AuditError) {
        state.withLock {
            $0.bytes.append(contentsOf: bytes)
            $0.chunks.append(bytes.count)
        }
    }

    var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
    var chunkSizes: [Int] { state.withLock { $0.chunks } }
}

/// xmllint from the PATH, and the camt.053.001.08 schema from LEDGER_TEST_SCHEMA_XSD or
/// `../shared/` next to the package.
enum XMLTool {
    static func xmllint() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/xmllint"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestEnvironmentError(message: "xmllint is not installed (Debian: apt-get install libxml2-utils); it checks camt.053 against its schema")
    }

    static func schema() throws -> String {
        if let path = ProcessInfo.processInfo.environment["LEDGER_TEST_SCHEMA_XSD"], !path.isEmpty {
            guard FileManager.default.fileExists(atPath: path) else {
                throw TestEnvironmentError(message: "LEDGER_TEST_SCHEMA_XSD names \(path), which does not exist")
            }
            return path
        }
        // Tests/LedgerAuditTests/<file> → the package root → its sibling `shared`.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.deletingLastPathComponent().appendingPathComponent("shared/camt.053.001.08.xsd").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw TestEnvironmentError(message: "the camt.053.001.08 schema is not at \(path); set LEDGER_TEST_SCHEMA_XSD")
        }
        return path
    }

    /// Runs xmllint and returns its exit status and its standard output and error together.
    static func run(_ arguments: [String], input: String) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("statement-\(UUID().uuidString).xml")
        try Data(input.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try xmllint())
        process.arguments = arguments + [file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func validate(_ document: String) throws -> (status: Int32, output: String) {
        try run(["--noout", "--schema", try schema()], input: document)
    }

    /// The string value of an XPath over the document (namespaces ignored via local-name()).
    static func value(_ xpath: String, in document: String) throws -> String {
        let result = try run(["--xpath", "string(\(xpath))"], input: document)
        guard result.status == 0 else {
            throw TestEnvironmentError(message: "xmllint --xpath \(xpath) failed: \(result.output)")
        }
        // xmllint ends the value with a newline.
        return result.output.trimmingCharacters(in: .newlines)
    }
}
