import Postgres
import Testing

@Suite("pipeline mode")
struct PipelineTests {
    @Test("results come back in order, one per statement")
    func results() throws {
        let connection = try TestDatabase.connect()
        let results = try connection.pipeline([
            (sql: "SELECT $1::int + 1", params: [1]),
            (sql: "SELECT g FROM generate_series(1, $1::int) AS g", params: [3]),
            (sql: "SELECT $1::text", params: ["three"]),
        ])
        #expect(results.count == 3)
        #expect(try results[0][0].int(0) == 2)
        #expect(try results[1].map { try $0.int(0) } == [1, 2, 3])
        #expect(try results[2][0].string(0) == "three")
        #expect(try connection.pipeline([], step: "empty").isEmpty)
    }

    @Test("an error in the middle names its statement, undoes the batch, and leaves the connection usable")
    func errorInTheMiddle() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueTableName("pipe")
        try connection.execute("CREATE TABLE \(table) (id int PRIMARY KEY)", step: "setup")
        defer { _ = try? connection.execute("DROP TABLE \(table)", step: "cleanup") }
        let error = try #require(throws: PostgresError.self) {
            try connection.pipeline(
                [
                    (sql: "INSERT INTO \(table) VALUES ($1)", params: [1]),
                    (sql: "INSERT INTO \(table) VALUES ($1)", params: [1]),
                    (sql: "INSERT INTO \(table) VALUES ($1)", params: [3]),
                ],
                step: "batch"
            )
        }
        #expect(error.step == "batch[1]")
        #expect(error.sqlState == SQLState.uniqueViolation)
        #expect(!connection.isBroken)
        // One sync means one implicit transaction: the first insert was rolled back too.
        #expect(try connection.query("SELECT count(*) FROM \(table)")[0].int(0) == 0)
        let after = try connection.pipeline([(sql: "INSERT INTO \(table) VALUES ($1)", params: [9])])
        #expect(after[0].affectedRows == 1)
        #expect(try connection.query("SELECT count(*) FROM \(table)")[0].int(0) == 1)
    }

    @Test("a large batch with large results does not deadlock against the server")
    func largeBatch() throws {
        let connection = try TestDatabase.connect()
        let statementsTotal = 5_000
        let statements = (0..<statementsTotal).map { index in
            (sql: "SELECT $1::int, repeat('y', 2000)", params: [PostgresParameter(index)])
        }
        let results = try connection.pipeline(statements)
        #expect(results.count == statementsTotal)
        #expect(try results.enumerated().allSatisfy { index, rows in try rows[0].int(0) == index })
        #expect(try connection.query("SELECT 1")[0].int(0) == 1)
    }

    @Test("a bad parameter is refused before anything is sent")
    func badParameter() throws {
        let connection = try TestDatabase.connect()
        let error = try #require(throws: PostgresError.self) {
            try connection.pipeline([(sql: "SELECT 1", params: []), (sql: "SELECT $1::text", params: ["nul\u{0}"])])
        }
        #expect(error.step == "pipeline[1]")
        #expect(try connection.query("SELECT 1")[0].int(0) == 1)
    }
}
