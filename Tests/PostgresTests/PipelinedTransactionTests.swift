import Foundation
import Postgres
import Testing

@Suite("pipelined transactions and prepared pipelines")
struct PipelinedTransactionTests {
    /// The table's rows as (id, amount), read on a connection of its own, so that only committed
    /// data is seen.
    static func committedRows(_ table: String) throws -> [[Int]] {
        let connection = try TestDatabase.connect()
        return try connection.query("SELECT id, amount FROM \(table) ORDER BY id").map { row in
            [try row.int(0), try row.int(1)]
        }
    }

    /// Two statements in a row on a connection outside any transaction each run in a transaction
    /// of their own, so they see different transaction ids; inside one transaction they see the
    /// same. This tells whether a lease starts with a transaction left open.
    static func runsInAutocommit(_ connection: PostgresConnection) throws -> Bool {
        let first = try connection.query("SELECT txid_current()")[0].int64(0)
        let second = try connection.query("SELECT txid_current()")[0].int64(0)
        return first != second
    }

    static let accounts = "id int PRIMARY KEY, amount bigint NOT NULL CHECK (amount >= 0)"

    /// Inserts one row in a pipelined transaction of its own; returns the rows inserted.
    static func commitRow(id: Int, amount: Int, in table: String, on pool: PostgresPool) async throws -> Int {
        try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) { connection in
            try connection.pipeline(
                [(sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [PostgresParameter(id), PostgresParameter(amount)])],
                step: "write", committing: true
            )[0].affectedRows
        }
    }

    @Test("a read pipeline and a committing write pipeline form one transaction whose results are the caller's statements only")
    func readThenCommittingWrite() async throws {
        struct Outcome: Sendable {
            var read: [PostgresRows]
            var write: [PostgresRows]
            var seenByOthersBeforeReturn: [[Int]]
        }
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            try await TestDatabase.withTable(pool, prefix: "pipetx", columns: Self.accounts) { table in
                let outcome = try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) {
                    connection in
                    let read = try connection.pipeline(
                        [
                            (sql: "SELECT count(*) FROM \(table)", params: []),
                            (sql: "SELECT current_setting('transaction_isolation')", params: []),
                            (sql: "SELECT txid_current()", params: []),
                        ],
                        step: "read")
                    let write = try connection.pipeline(
                        [
                            (sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [1, 100]),
                            (sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2), ($3, $4)", params: [2, 200, 3, 300]),
                            (sql: "UPDATE \(table) SET amount = amount + $1 WHERE id = $2", params: [5, 1]),
                            (sql: "SELECT txid_current()", params: []),
                        ],
                        step: "write", committing: true)
                    // The COMMIT went out with the write pipeline, so another session sees the
                    // rows already, before the body has even returned.
                    let seen = try Self.committedRows(table)
                    return Outcome(read: read, write: write, seenByOthersBeforeReturn: seen)
                }

                // One result per statement passed, in order: BEGIN and COMMIT add none.
                #expect(outcome.read.count == 3)
                #expect(try outcome.read[0][0].int(0) == 0)
                #expect(outcome.read[0].commandTag == "SELECT 1")
                // BEGIN ISOLATION LEVEL SERIALIZABLE ran in front of the first statement.
                #expect(try outcome.read[1][0].string(0) == "serializable")
                #expect(outcome.write.count == 4)
                #expect(outcome.write[0].commandTag == "INSERT 0 1")
                #expect(outcome.write[1].affectedRows == 2)
                #expect(outcome.write[2].commandTag == "UPDATE 1")
                #expect(outcome.write[3].commandTag == "SELECT 1")
                // Both pipelines ran in the same transaction.
                #expect(try outcome.write[3][0].int64(0) == outcome.read[2][0].int64(0))

                let expected = [[1, 105], [2, 200], [3, 300]]
                #expect(outcome.seenByOthersBeforeReturn == expected)
                #expect(try Self.committedRows(table) == expected)
                // The connection went back to the pool idle, with no transaction left open.
                #expect(try await pool.withConnection { try Self.runsInAutocommit($0) })
            }
        }
    }

    @Test("a failing statement in the committing pipeline undoes the whole transaction and names itself in step")
    func failureInCommittingPipeline() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            try await TestDatabase.withTable(pool, prefix: "pipetx", columns: Self.accounts) { table in
                _ = try await pool.withConnection { try $0.query("INSERT INTO \(table) (id, amount) VALUES (1, 50)") }
                let before = try Self.committedRows(table)
                let firstPID = try await pool.withConnection { $0.backendPID }
                let attempts = Locked(0)

                // A unique violation in a committing pipeline that follows an earlier pipeline,
                // which opened the transaction and inserted a row of its own.
                let duplicate = await postgresError {
                    try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) { connection in
                        attempts.withLock { $0 += 1 }
                        _ = try connection.pipeline(
                            [(sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [9, 9])], step: "first")
                        _ = try connection.pipeline(
                            [
                                (sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [10, 10]),
                                (sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [1, 11]),
                                (sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [12, 12]),
                            ],
                            step: "write", committing: true)
                    }
                }
                #expect(duplicate?.kind == .server)
                #expect(duplicate?.sqlState == SQLState.uniqueViolation)
                #expect(duplicate?.step == "write[1]")
                #expect(duplicate?.constraint == "\(table)_pkey")

                // A CHECK violation in a pipeline that carries both the BEGIN and the COMMIT.
                let overdrawn = await postgresError {
                    try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) { connection in
                        attempts.withLock { $0 += 1 }
                        _ = try connection.pipeline(
                            [
                                (sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [20, 20]),
                                (sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [21, 21]),
                                (sql: "UPDATE \(table) SET amount = amount - $1 WHERE id = $2", params: [1_000, 1]),
                            ],
                            step: "write", committing: true)
                    }
                }
                #expect(overdrawn?.kind == .server)
                #expect(overdrawn?.sqlState == SQLState.checkViolation)
                #expect(overdrawn?.step == "write[2]")

                // Neither error is retryable, so each body ran once, and nothing of either
                // transaction was committed.
                #expect(attempts.withLock { $0 } == 2)
                #expect(try Self.committedRows(table) == before)

                // The pool's single connection survived both failures and is idle again.
                let after = try await pool.withConnection { connection in
                    (pid: connection.backendPID, autocommit: try Self.runsInAutocommit(connection))
                }
                #expect(after.pid == firstPID)
                #expect(after.autocommit)
                let written = try await Self.commitRow(id: 2, amount: 2, in: table, on: pool)
                #expect(written == 1)
                #expect(try Self.committedRows(table) == [[1, 50], [2, 2]])
            }
        }
    }

    @Test("a body that starts with query still runs in one transaction, committed by the ordinary COMMIT")
    func queryFirst() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            try await TestDatabase.withTable(pool, prefix: "pipetx", columns: Self.accounts) { table in
                let seen = try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) {
                    connection in
                    let first = try connection.query("SELECT current_setting('transaction_isolation'), txid_current()")[0]
                    try connection.query("INSERT INTO \(table) (id, amount) VALUES ($1, $2)", [1, 10])
                    let second = try connection.query("SELECT txid_current()")[0]
                    return (isolation: try first.string(0), firstXID: try first.int64(1), secondXID: try second.int64(0))
                }
                #expect(seen.isolation == "serializable")
                #expect(seen.firstXID == seen.secondXID)
                #expect(try Self.committedRows(table) == [[1, 10]])

                // A failing second statement takes the first one with it: they were in one
                // transaction, not two autocommitted statements.
                let error = await postgresError {
                    try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) { connection in
                        try connection.query("INSERT INTO \(table) (id, amount) VALUES ($1, $2)", [2, 20])
                        try connection.query("INSERT INTO \(table) (id, amount) VALUES ($1, $2)", [2, 21], step: "again")
                    }
                }
                #expect(error?.sqlState == SQLState.uniqueViolation)
                #expect(error?.step == "again")
                #expect(try Self.committedRows(table) == [[1, 10]])

                // A query first and then a committing pipeline: the BEGIN went out with the query,
                // and the pipeline still ends the transaction.
                let written = try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) {
                    connection in
                    try connection.query("INSERT INTO \(table) (id, amount) VALUES ($1, $2)", [3, 30])
                    return try connection.pipeline(
                        [(sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [4, 40])],
                        step: "write", committing: true
                    ).map(\.affectedRows)
                }
                #expect(written == [1])
                #expect(try Self.committedRows(table) == [[1, 10], [3, 30], [4, 40]])
                #expect(try await pool.withConnection { try Self.runsInAutocommit($0) })
            }
        }
    }

    @Test("a body that sends nothing returns its value, and leaves no BEGIN behind for the next lease")
    func emptyBody() async throws {
        struct Refused: Error, Equatable {}
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            let value = try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) { _ in 42 }
            #expect(value == 42)
            #expect(try await pool.withConnection { try Self.runsInAutocommit($0) })

            let attempts = Locked(0)
            await #expect(throws: Refused()) {
                try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) { _ in
                    attempts.withLock { $0 += 1 }
                    throw Refused()
                }
            }
            #expect(attempts.withLock { $0 } == 1)
            #expect(try await pool.withConnection { try Self.runsInAutocommit($0) })
        }
    }

    @Test("a serialization failure in a pipelined transaction is retried, so two concurrent increments both count")
    func serializationFailureIsRetried() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 3 }) { pool in
            try await TestDatabase.withTable(pool, prefix: "pipetx", columns: Self.accounts) { table in
                _ = try await pool.withConnection { try $0.query("INSERT INTO \(table) (id, amount) VALUES (1, 0)") }
                // Both bodies read the counter before either writes, so both first read 0 and one
                // of them must fail with 40001 and run again.
                let barrier = TransactionTests.Barrier(parties: 2)
                let attempts = Locked(0)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) {
                                connection in
                                attempts.withLock { $0 += 1 }
                                let read = try connection.pipeline(
                                    [(sql: "SELECT amount FROM \(table) WHERE id = $1", params: [1])], step: "read")
                                let amount = try read[0][0].int(0)
                                barrier.arriveAndWait()
                                _ = try connection.pipeline(
                                    [(sql: "UPDATE \(table) SET amount = $1 WHERE id = $2", params: [PostgresParameter(amount + 1), 1])],
                                    step: "write", committing: true)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(attempts.withLock { $0 } == 3)
                #expect(try Self.committedRows(table) == [[1, 2]])
            }
        }
    }

    @Test("prepared: true prepares each statement text once per session and gives right results for every parameter")
    func preparedStatementsAreReused() throws {
        let connection = try TestDatabase.connect()
        let double = "SELECT $1::int * 2"
        let join = "SELECT $1::text || ':' || $2::text"
        func run(_ round: Int) throws {
            let results = try connection.pipeline(
                [
                    (sql: double, params: [PostgresParameter(round)]),
                    (sql: join, params: [PostgresParameter("left-\(round)"), "right"]),
                    (sql: double, params: [PostgresParameter(round + 1_000)]),
                ],
                step: "hot", prepared: true)
            #expect(results.count == 3)
            #expect(try results[0][0].int(0) == round * 2)
            #expect(try results[1][0].string(0) == "left-\(round):right")
            #expect(try results[2][0].int(0) == (round + 1_000) * 2)
        }
        func preparedTexts() throws -> [String] {
            try connection.query("SELECT statement FROM pg_prepared_statements ORDER BY statement").map { try $0.string(0) }
        }

        #expect(try preparedTexts().isEmpty)
        for round in 0..<10 {
            try run(round)
        }
        let prepared = try preparedTexts()
        #expect(prepared == [double, join].sorted())
        for round in 10..<40 {
            try run(round)
        }
        #expect(try preparedTexts() == prepared)
        // Unprepared pipelines and plain queries on the same session are unaffected.
        #expect(try connection.pipeline([(sql: double, params: [4])])[0][0].int(0) == 8)
        #expect(try connection.query(double, [5])[0].int(0) == 10)
        #expect(try preparedTexts() == prepared)
    }

    @Test("prepared: true with the same text twice in one pipeline works the first time")
    func sameTextTwiceInOnePipeline() throws {
        let connection = try TestDatabase.connect()
        let echo = "SELECT $1::int + 0"
        let results = try connection.pipeline(
            [
                (sql: echo, params: [1]),
                (sql: echo, params: [2]),
                (sql: "SELECT $1::text", params: ["between"]),
                (sql: echo, params: [3]),
            ],
            step: "twice", prepared: true)
        #expect(results.count == 4)
        #expect(try results[0][0].int(0) == 1)
        #expect(try results[1][0].int(0) == 2)
        #expect(try results[2][0].string(0) == "between")
        #expect(try results[3][0].int(0) == 3)
        #expect(try connection.query("SELECT count(*) FROM pg_prepared_statements")[0].int(0) == 2)
        let again = try connection.pipeline([(sql: echo, params: [7]), (sql: echo, params: [8])], step: "twice", prepared: true)
        #expect(try again.map { try $0[0].int(0) } == [7, 8])
        #expect(try connection.query("SELECT count(*) FROM pg_prepared_statements")[0].int(0) == 2)
    }

    @Test("a failing prepared pipeline names its statement, and the same texts work on the next call")
    func failingPreparedPipeline() throws {
        let connection = try TestDatabase.connect()
        let divide = "SELECT 100 / $1::int"
        let error = try #require(throws: PostgresError.self) {
            try connection.pipeline(
                [(sql: "SELECT $1::int", params: [1]), (sql: divide, params: [0])], step: "calc", prepared: true)
        }
        #expect(error.step == "calc[1]")
        #expect(error.sqlState == "22012")
        #expect(!connection.isBroken)
        let results = try connection.pipeline(
            [(sql: "SELECT $1::int", params: [1]), (sql: divide, params: [4])], step: "calc", prepared: true)
        #expect(try results.map { try $0[0].int(0) } == [1, 25])
        let again = try connection.pipeline(
            [(sql: "SELECT $1::int", params: [2]), (sql: divide, params: [5])], step: "calc", prepared: true)
        #expect(try again.map { try $0[0].int(0) } == [2, 20])
    }

    @Test("past the per-session bound, further statement texts still run, unprepared")
    func preparedStatementsAreBounded() throws {
        let connection = try TestDatabase.connect()
        let texts = (0..<80).map { "SELECT $1::int + \($0)" }
        for _ in 0..<2 {
            for (offset, text) in texts.enumerated() {
                let results = try connection.pipeline([(sql: text, params: [1_000])], step: "many", prepared: true)
                #expect(try results[0][0].int(0) == 1_000 + offset)
            }
            let count = try connection.query("SELECT count(*) FROM pg_prepared_statements")[0].int(0)
            #expect(count >= 1 && count <= 64)
        }
    }

    @Test("prepared pipelines inside pipelined transactions: BEGIN and COMMIT are not prepared, the statements once")
    func preparedInsidePipelinedTransactions() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            try await TestDatabase.withTable(pool, prefix: "pipetx", columns: Self.accounts) { table in
                let select = "SELECT amount FROM \(table) WHERE id = $1"
                let upsert = "INSERT INTO \(table) (id, amount) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET amount = EXCLUDED.amount"
                for round in 1...5 {
                    try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) { connection in
                        let read = try connection.pipeline([(sql: select, params: [1])], step: "read", prepared: true)
                        let amount = try read[0].first?.int(0) ?? 0
                        _ = try connection.pipeline(
                            [(sql: upsert, params: [1, PostgresParameter(amount + round)])],
                            step: "write", committing: true, prepared: true)
                    }
                }
                #expect(try Self.committedRows(table) == [[1, 15]])
                let prepared = try await pool.withConnection { connection in
                    try connection.query("SELECT statement FROM pg_prepared_statements ORDER BY statement").map { try $0.string(0) }
                }
                #expect(prepared == [select, upsert].sorted())
            }
        }
    }

    @Test("a statement after the committing pipeline is refused and not retried; the commit stands once")
    func statementAfterCommitRefused() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            try await TestDatabase.withTable(pool, prefix: "pipetx", columns: Self.accounts) { table in
                let attempts = Locked(0)
                let refusal = await postgresError {
                    try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) { connection in
                        attempts.withLock { $0 += 1 }
                        _ = try connection.pipeline(
                            [(sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [1, 10])],
                            step: "write", committing: true)
                        _ = try connection.query("UPDATE \(table) SET amount = amount + 1", step: "late")
                    }
                }
                #expect(refusal?.step == "late")
                #expect(refusal?.isRetryable == false)
                #expect(attempts.withLock { $0 } == 1)
                #expect(try Self.committedRows(table) == [[1, 10]])

                // Outside a transaction body, a caller's own BEGIN … COMMIT pipeline leaves the
                // connection free for the statements after it.
                let afterOwnCommit = try await pool.withConnection { connection in
                    try connection.execute("BEGIN", step: "begin")
                    _ = try connection.pipeline(
                        [(sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [2, 20])],
                        step: "write", committing: true)
                    return try connection.query("SELECT count(*) FROM \(table)")[0].int(0)
                }
                #expect(afterOwnCommit == 2)
                let written = try await Self.commitRow(id: 3, amount: 30, in: table, on: pool)
                #expect(written == 1)
            }
        }
    }

    @Test("deferred statements are made in order, one at a time, and commit like any pipeline")
    func deferredStatements() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            try await TestDatabase.withTable(pool, prefix: "pipetx", columns: Self.accounts) { table in
                let outcome = try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) {
                    connection in
                    _ = try connection.pipeline([(sql: "SELECT count(*) FROM \(table)", params: [])], step: "read")
                    // Each statement takes a value the one before it handed on, as the commit
                    // group's chain heads go from its entries to its accounts.
                    var made: [Int] = []
                    var handedOn = 0
                    let statements: [() -> (sql: String, params: [PostgresParameter])] = (1...3).map { id in
                        {
                            made.append(id)
                            handedOn += id * 10
                            return (sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [PostgresParameter(id), PostgresParameter(handedOn)])
                        }
                    }
                    let rows = try connection.pipeline(deferred: statements, step: "write", committing: true, prepared: true)
                    return (made: made, tags: rows.map(\.commandTag))
                }
                #expect(outcome.made == [1, 2, 3])
                #expect(outcome.tags == ["INSERT 0 1", "INSERT 0 1", "INSERT 0 1"])
                #expect(try Self.committedRows(table) == [[1, 10], [2, 30], [3, 60]])
            }
        }
    }

    @Test("a deferred pipeline outside a transaction is refused before anything is made or sent")
    func deferredOutsideTransaction() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            try await TestDatabase.withTable(pool, prefix: "pipetx", columns: Self.accounts) { table in
                let outcome = try await pool.withConnection { connection in
                    var made = 0
                    var refusal: PostgresError?
                    do throws(PostgresError) {
                        _ = try connection.pipeline(
                            deferred: [{
                                made += 1
                                return (sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [1, 1])
                            }],
                            step: "stray")
                    } catch {
                        refusal = error
                    }
                    return (made: made, step: refusal?.step, broken: connection.isBroken)
                }
                #expect(outcome.made == 0)
                #expect(outcome.step == "stray")
                #expect(!outcome.broken)
                #expect(try Self.committedRows(table).isEmpty)
            }
        }
    }

    @Test("a deferred statement whose parameters are refused ends the transaction with nothing committed")
    func deferredRefusal() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            try await TestDatabase.withTable(pool, prefix: "pipetx", columns: Self.accounts) { table in
                let refusal = await postgresError {
                    try await pool.withTransaction(.serializable, pipelined: true, logger: TestDatabase.logger) { connection in
                        _ = try connection.pipeline(
                            deferred: [
                                { (sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [1, 1]) },
                                // More parameters than the protocol can carry: found only when
                                // this statement is made, after the first has been sent.
                                { (sql: "SELECT 1", params: Array(repeating: PostgresParameter(1), count: 70_000)) },
                            ],
                            step: "write", committing: true)
                    }
                }
                #expect(refusal?.step == "write[1]")
                #expect(refusal?.sqlState == "54000")
                #expect(try Self.committedRows(table).isEmpty)
                // The pool replaces the broken connection; the next transaction commits.
                let written = try await Self.commitRow(id: 2, amount: 2, in: table, on: pool)
                #expect(written == 1)
                #expect(try Self.committedRows(table) == [[2, 2]])
            }
        }
    }

    @Test("committing: true outside a transaction is refused, sends nothing, and leaves the connection usable")
    func committingOutsideTransaction() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            try await TestDatabase.withTable(pool, prefix: "pipetx", columns: Self.accounts) { table in
                let firstPID = try await pool.withConnection { $0.backendPID }
                let error = await postgresError {
                    _ = try await pool.withConnection { connection in
                        try connection.pipeline(
                            [(sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [1, 1])],
                            step: "stray", committing: true)
                    }
                }
                #expect(error?.step == "commit")
                #expect(try Self.committedRows(table).isEmpty)

                // Expectations are checked back on the test's task, not on the pool's thread.
                let after = try await pool.withConnection { connection in
                    var emptyStep: String?
                    do throws(PostgresError) {
                        _ = try connection.pipeline([], step: "stray", committing: true)
                    } catch {
                        emptyStep = error.step
                    }
                    let written = try connection.pipeline(
                        [(sql: "INSERT INTO \(table) (id, amount) VALUES ($1, $2)", params: [2, 2])], step: "plain")
                    return (
                        pid: connection.backendPID, broken: connection.isBroken, emptyStep: emptyStep,
                        written: written[0].affectedRows
                    )
                }
                #expect(after.emptyStep == "commit")
                #expect(after.pid == firstPID)
                #expect(!after.broken)
                #expect(after.written == 1)
                #expect(try Self.committedRows(table) == [[2, 2]])
            }
        }
    }
}
