import Foundation
import Postgres
import Testing

@Suite("connection: errors, session settings, execute, lost connections")
struct ConnectionTests {
    @Test("a unique violation carries SQLSTATE 23505 and the constraint's name")
    func uniqueViolation() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueTableName("unique")
        try connection.execute("CREATE TABLE \(table) (id int CONSTRAINT \(table)_pk PRIMARY KEY, v text)", step: "setup")
        defer { _ = try? connection.execute("DROP TABLE \(table)", step: "cleanup") }
        try connection.query("INSERT INTO \(table) VALUES ($1, $2)", [1, "secret"])
        let error = try #require(throws: PostgresError.self) {
            try connection.query("INSERT INTO \(table) VALUES ($1, $2)", [1, "other"], step: "insert row")
        }
        #expect(error.kind == .server)
        #expect(error.sqlState == SQLState.uniqueViolation)
        #expect(error.constraint == "\(table)_pk")
        #expect(error.table == table)
        #expect(error.step == "insert row")
        #expect(error.detail?.contains("(id)=(1)") == true)
        #expect(!error.description.contains("(1)"))
        #expect(!error.isRetryable)
        // The connection is still usable after a server error.
        #expect(try connection.query("SELECT count(*) FROM \(table)")[0].int(0) == 1)
    }

    @Test("other server errors: check violation, RAISE, syntax error")
    func serverErrors() throws {
        let connection = try TestDatabase.connect()
        let check = try #require(throws: PostgresError.self) {
            try connection.query("SELECT 1 / $1::int", [0])
        }
        #expect(check.sqlState == "22012")
        let raised = try #require(throws: PostgresError.self) {
            try connection.execute("DO $$ BEGIN RAISE EXCEPTION 'insufficient funds' USING ERRCODE = 'P0001'; END $$", step: "raise")
        }
        #expect(raised.sqlState == SQLState.raiseException)
        #expect(raised.message == "insufficient funds")
        #expect(raised.step == "raise")
        let syntax = try #require(throws: PostgresError.self) { try connection.query("SELEC 1") }
        #expect(syntax.sqlState == SQLState.syntaxError)
        #expect(!connection.isBroken)
    }

    @Test("every connection gets UTC, ISO dates, hex bytea and the configured timeouts")
    func sessionSettings() throws {
        let configuration = try TestDatabase.configuration {
            $0.statementTimeout = .milliseconds(1500)
            $0.idleInTransactionTimeout = .seconds(7)
        }
        let connection = try PostgresConnection(url: configuration.url, configuration: configuration, logger: TestDatabase.logger)
        let row = try connection.query(
            """
            SELECT current_setting('TimeZone'), current_setting('DateStyle'), current_setting('bytea_output'),
                   current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout'),
                   current_setting('application_name'), current_setting('client_encoding')
            """)[0]
        #expect(try row.string(0) == "UTC")
        #expect(try row.string(1) == "ISO, YMD")
        #expect(try row.string(2) == "hex")
        #expect(try row.string(3) == "1500ms")
        #expect(try row.string(4) == "7s")
        #expect(try row.string(5) == "postgres-tests")
        #expect(try row.string(6) == "UTF8")
        #expect(connection.serverVersion >= 150000)
    }

    @Test("the statement timeout cancels a long statement with 57014")
    func statementTimeout() throws {
        let configuration = try TestDatabase.configuration { $0.statementTimeout = .milliseconds(200) }
        let connection = try PostgresConnection(url: configuration.url, configuration: configuration, logger: TestDatabase.logger)
        let error = try #require(throws: PostgresError.self) { try connection.query("SELECT pg_sleep(5)") }
        #expect(error.sqlState == SQLState.queryCanceled)
        #expect(try connection.query("SELECT 2")[0].int(0) == 2)
    }

    @Test("a bad URL or an unreachable server fails with kind connect")
    func connectFailure() throws {
        var configuration = try TestDatabase.configuration()
        configuration.connectTimeout = .seconds(2)
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection(url: "postgresql://postgres@127.0.0.1:1/none", configuration: configuration, logger: TestDatabase.logger)
        }
        #expect(error.kind == .connect)
        #expect(error.step == "connect")
        let badDatabase = try #require(throws: PostgresError.self) {
            try PostgresConnection(
                url: try Self.url(replacingDatabaseWith: "no_such_database_here"), configuration: configuration, logger: TestDatabase.logger)
        }
        #expect(badDatabase.kind == .connect)
    }

    @Test("execute runs several statements; a failure stops it")
    func executeSeveral() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueTableName("exec")
        try connection.execute(
            "CREATE TABLE \(table) (id int); INSERT INTO \(table) VALUES (1); INSERT INTO \(table) VALUES (2);", step: "migrate")
        defer { _ = try? connection.execute("DROP TABLE \(table)", step: "cleanup") }
        #expect(try connection.query("SELECT sum(id) FROM \(table)")[0].int(0) == 3)
        let error = try #require(throws: PostgresError.self) {
            try connection.execute("INSERT INTO \(table) VALUES (3); SELECT nope; INSERT INTO \(table) VALUES (4)", step: "migrate")
        }
        #expect(error.sqlState == "42703")
        // A multi-statement string runs as one implicit transaction: nothing of it stays.
        #expect(try connection.query("SELECT count(*) FROM \(table)")[0].int(0) == 2)
    }

    @Test("a backend killed with pg_terminate_backend is detected: connectionLost, isBroken")
    func killedConnection() throws {
        let victim = try TestDatabase.connect()
        let killer = try TestDatabase.connect()
        let pid = victim.backendPID
        #expect(try killer.query("SELECT pg_terminate_backend($1::int)", [PostgresParameter(Int(pid))])[0].bool(0))
        try Self.waitUntilGone(pid, using: killer)
        let error = try #require(throws: PostgresError.self) { try victim.query("SELECT 1") }
        #expect(error.kind == .connectionLost)
        #expect(victim.isBroken)
        // A broken connection refuses further work at once instead of touching a dead socket.
        let again = try #require(throws: PostgresError.self) { try victim.query("SELECT 1", step: "again") }
        #expect(again.kind == .connectionLost)
        #expect(again.step == "again")
    }

    @Test("a stray COPY started through query is abandoned and the connection stays usable")
    func strayCopy() throws {
        let connection = try TestDatabase.connect()
        let error = try #require(throws: PostgresError.self) { try connection.query("COPY (SELECT 1) TO STDOUT") }
        #expect(error.kind == .copy)
        #expect(try connection.query("SELECT 5")[0].int(0) == 5)
    }

    static func waitUntilGone(_ pid: Int32, using connection: PostgresConnection) throws {
        for _ in 0..<200 {
            let alive = try connection.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", [PostgresParameter(Int(pid))])[0].int(0)
            if alive == 0 { return }
            usleep(10_000)
        }
        Issue.record("backend \(pid) did not exit")
    }

    static func url(replacingDatabaseWith name: String) throws -> String {
        var components = try #require(URLComponents(string: try TestDatabase.url()))
        components.path = "/" + name
        return try #require(components.string)
    }
}
