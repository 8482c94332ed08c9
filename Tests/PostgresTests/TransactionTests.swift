import Foundation
import Postgres
import Testing

@Suite("withTransaction: isolation, retry on serialization failure, rollback")
struct TransactionTests {
    /// Lets two transactions both finish their reads before either writes, so that they really
    /// overlap. Later attempts (retries) pass straight through.
    final class Barrier: Sendable {
        let arrivals = Locked(0)
        let parties: Int

        init(parties: Int) {
            self.parties = parties
        }

        func arriveAndWait() {
            self.arrivals.withLock { $0 += 1 }
            let deadline = ContinuousClock.now + .seconds(5)
            while self.arrivals.withLock({ $0 }) < self.parties, ContinuousClock.now < deadline {
                usleep(1_000)
            }
        }
    }

    /// Two doctors on call; each transaction takes one off call if at least two are on call.
    /// Run concurrently under SERIALIZABLE this is write skew, which Postgres must refuse.
    static func writeSkew(
        _ pool: PostgresPool,
        table: String,
        retry: RetryPolicy
    ) async -> (results: [Result<Void, any Error>], attempts: Int) {
        let barrier = Barrier(parties: 2)
        let attempts = Locked(0)
        let results = await withTaskGroup(of: Result<Void, any Error>.self) { group in
            for doctor in [1, 2] {
                group.addTask {
                    do {
                        try await pool.withTransaction(.serializable, retry: retry, logger: TestDatabase.logger) { connection in
                            attempts.withLock { $0 += 1 }
                            let onCall = try connection.query("SELECT count(*) FROM \(table) WHERE on_call")[0].int(0)
                            barrier.arriveAndWait()
                            if onCall >= 2 {
                                try connection.query("UPDATE \(table) SET on_call = false WHERE id = $1", [PostgresParameter(doctor)])
                            }
                        }
                        return .success(())
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var results: [Result<Void, any Error>] = []
            for await result in group {
                results.append(result)
            }
            return results
        }
        return (results, attempts.withLock { $0 })
    }

    static func withDoctors<Value>(_ pool: PostgresPool, _ body: (String) async throws -> Value) async throws -> Value {
        try await TestDatabase.withTable(
            pool, prefix: "doctors", columns: "id int PRIMARY KEY, on_call bool NOT NULL", rows: "(1, true), (2, true)", body)
    }

    @Test("a real serialization failure (write skew) is retried and both transactions succeed serially")
    func retriesSerializationFailure() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 3 }) { pool in
            try await Self.withDoctors(pool) { table in
                let (results, attempts) = await Self.writeSkew(pool, table: table, retry: .default)
                for result in results {
                    #expect(throws: Never.self) { try result.get() }
                }
                // Both read 2 on call; one commit was refused with 40001 and that body ran again.
                #expect(attempts == 3)
                let onCall = try await pool.withConnection { try $0.query("SELECT count(*) FROM \(table) WHERE on_call")[0].int(0) }
                #expect(onCall == 1)
            }
        }
    }

    @Test("with attemptsMax 1 the loser gives up with retriesExhausted carrying 40001")
    func givesUpAfterAttemptsMax() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 3 }) { pool in
            try await Self.withDoctors(pool) { table in
                let (results, attempts) = await Self.writeSkew(pool, table: table, retry: RetryPolicy(attemptsMax: 1))
                #expect(attempts == 2)
                let failures = results.compactMap { result -> PostgresError? in
                    if case .failure(let error) = result { return error as? PostgresError }
                    return nil
                }
                #expect(results.count == 2)
                #expect(failures.count == 1)
                let failure = try #require(failures.first)
                #expect(failure.kind == .retriesExhausted)
                #expect(failure.sqlState == SQLState.serializationFailure)
                #expect(!failure.isRetryable)
                let onCall = try await pool.withConnection { try $0.query("SELECT count(*) FROM \(table) WHERE on_call")[0].int(0) }
                #expect(onCall == 1)
            }
        }
    }

    @Test("a non-retryable error rolls back and is rethrown unchanged; a body's own error too")
    func otherErrorsRollBack() async throws {
        struct Refused: Error, Equatable {}
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            let table = TestDatabase.uniqueTableName("tx")
            try await pool.withConnection { try $0.execute("CREATE TABLE \(table) (id int PRIMARY KEY)", step: "setup") }
            let attempts = Locked(0)
            let error = await postgresError {
                try await pool.withTransaction(.serializable, logger: TestDatabase.logger) { connection in
                    attempts.withLock { $0 += 1 }
                    try connection.query("INSERT INTO \(table) VALUES (1)")
                    try connection.query("INSERT INTO \(table) VALUES (1)", step: "second insert")
                }
            }
            #expect(error?.kind == .server)
            #expect(error?.sqlState == SQLState.uniqueViolation)
            #expect(error?.step == "second insert")
            #expect(attempts.withLock { $0 } == 1)

            await #expect(throws: Refused()) {
                try await pool.withTransaction(.readCommitted, logger: TestDatabase.logger) { connection in
                    try connection.query("INSERT INTO \(table) VALUES (2)")
                    throw Refused()
                }
            }
            // Neither insert survived, and the (single) connection is idle and usable again.
            let count = try await pool.withConnection { connection in
                try connection.query("SELECT count(*) FROM \(table)")[0].int(0)
            }
            #expect(count == 0)
            try await pool.withConnection { try $0.execute("DROP TABLE \(table)", step: "cleanup") }
        }
    }

    @Test("a body that swallows a server error does not commit")
    func swallowedErrorDoesNotCommit() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            let table = TestDatabase.uniqueTableName("swallow")
            try await pool.withConnection { try $0.execute("CREATE TABLE \(table) (id int PRIMARY KEY)", step: "setup") }
            let error = await postgresError {
                try await pool.withTransaction(.serializable, logger: TestDatabase.logger) { connection in
                    try connection.query("INSERT INTO \(table) VALUES (1)")
                    _ = try? connection.query("INSERT INTO \(table) VALUES (1)")
                }
            }
            #expect(error?.sqlState == SQLState.uniqueViolation)
            let count = try await pool.withConnection { try $0.query("SELECT count(*) FROM \(table)")[0].int(0) }
            #expect(count == 0)
            try await pool.withConnection { try $0.execute("DROP TABLE \(table)", step: "cleanup") }
        }
    }

    @Test("isolation levels are what BEGIN asked for, and a transaction returns the body's value")
    func isolationLevels() async throws {
        try await TestDatabase.withPool { pool in
            let expected: [(IsolationLevel, String, String)] = [
                (.serializable, "serializable", "off"),
                (.repeatableReadReadOnlyDeferrable, "repeatable read", "on"),
                (.readCommitted, "read committed", "off"),
            ]
            for (isolation, level, readOnly) in expected {
                let row = try await pool.withTransaction(isolation, logger: TestDatabase.logger) { connection in
                    try connection.query("SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')")[0]
                }
                #expect(try row.string(0) == level)
                #expect(try row.string(1) == readOnly)
            }
        }
    }

    @Test("backoff is jittered within the capped exponential ceiling")
    func backoff() {
        let policy = RetryPolicy(attemptsMax: 10, backoffBase: .milliseconds(2), backoffMax: .milliseconds(250))
        for attempt in 1...12 {
            let ceiling = min(Duration.milliseconds(250), .milliseconds(2) * (1 << (attempt - 1)))
            for _ in 0..<50 {
                let pause = policy.backoff(afterAttempt: attempt)
                #expect(pause >= .zero && pause <= ceiling)
            }
        }
        #expect(RetryPolicy.default.attemptsMax == 10)
    }
}
