import Foundation
import Postgres
import Testing

@Suite("pool: bounds, waiting, timeouts, recovery, close")
struct PoolTests {
    @Test("with connectionsMax 2, a third concurrent caller waits for a free connection")
    func thirdCallerWaits() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 2 }) { pool in
            let inside = Locked((now: 0, max: 0))
            let start = ContinuousClock.now
            try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            inside.withLock { $0.now += 1; $0.max = max($0.max, $0.now) }
                            defer { inside.withLock { $0.now -= 1 } }
                            try connection.query("SELECT pg_sleep(0.4)")
                            return connection.backendPID
                        }
                    }
                }
                var pids = Set<Int32>()
                for try await pid in group {
                    pids.insert(pid)
                }
                #expect(pids.count == 2)
            }
            #expect(inside.withLock { $0.max } == 2)
            #expect(ContinuousClock.now - start >= .milliseconds(800))
            #expect(pool.statistics.connections == 2)
        }
    }

    @Test("a caller that cannot get a connection within acquireTimeout fails with timeout")
    func acquireTimeout() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1; $0.acquireTimeout = .milliseconds(50) }) { pool in
            let gate = Gate()
            let holder = Self.hold(pool, until: gate)
            try await gate.waitUntilHeld()
            let start = ContinuousClock.now
            let error = await postgresError { try await pool.withConnection { _ in () } }
            #expect(error?.kind == .timeout)
            #expect(error?.step == "acquire")
            // Bounded, not fast: while every suite runs at once on two cores, the 50 ms timer
            // itself can fire seconds late. A caller that waited for the holder would wait forever.
            #expect(ContinuousClock.now - start < .seconds(10))
            gate.open()
            try await holder.value
            #expect(pool.statistics.waiters == 0)
            // The connection is free again.
            try await pool.ping()
        }
    }

    @Test("callers beyond waitersMax are refused at once with poolExhausted")
    func waitersMax() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1; $0.waitersMax = 0 }) { pool in
            let gate = Gate()
            let holder = Self.hold(pool, until: gate)
            try await gate.waitUntilHeld()
            let error = await postgresError { try await pool.withConnection { _ in () } }
            #expect(error?.kind == .poolExhausted)
            gate.open()
            try await holder.value
        }
    }

    @Test("waiters are served first come, first served")
    func fifo() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            let order = Locked([Int]())
            let gate = Gate()
            let holder = Self.hold(pool, until: gate)
            try await gate.waitUntilHeld()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<5 {
                    group.addTask {
                        try await pool.withConnection { _ in order.withLock { $0.append(index) } }
                    }
                    // Queue them in a known order.
                    try await Self.waitFor { pool.statistics.waiters == index + 1 }
                }
                gate.open()
                try await group.waitForAll()
            }
            try await holder.value
            #expect(order.withLock { $0 } == [0, 1, 2, 3, 4])
        }
    }

    @Test("a connection killed between leases is replaced on the next lease")
    func recoversAfterKillBetweenLeases() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            let firstPID = try await pool.withConnection { $0.backendPID }
            let killer = try TestDatabase.connect()
            #expect(try killer.query("SELECT pg_terminate_backend($1::int)", [PostgresParameter(Int(firstPID))])[0].bool(0))
            try ConnectionTests.waitUntilGone(firstPID, using: killer)
            let secondPID = try await pool.withConnection { connection in
                try connection.query("SELECT pg_backend_pid()")[0].int(0)
            }
            #expect(secondPID != Int(firstPID))
            #expect(pool.statistics.connections == 1)
        }
    }

    @Test("a connection killed during a lease fails that call with connectionLost; the next lease recovers")
    func recoversAfterKillDuringLease() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            let error = await postgresError {
                try await pool.withConnection { connection in
                    _ = try connection.query("SELECT pg_terminate_backend(pg_backend_pid())")
                }
            }
            #expect(error?.kind == .connectionLost)
            let value = try await pool.withConnection { try $0.query("SELECT 41 + 1")[0].int(0) }
            #expect(value == 42)
            // A transaction whose connection died while idle in the pool starts on a fresh one.
            let pid = try await pool.withConnection { $0.backendPID }
            let killer = try TestDatabase.connect()
            _ = try killer.query("SELECT pg_terminate_backend($1::int)", [PostgresParameter(Int(pid))])
            try ConnectionTests.waitUntilGone(pid, using: killer)
            let committed = try await pool.withTransaction(.serializable, logger: TestDatabase.logger) { connection in
                try connection.query("SELECT 1")[0].int(0)
            }
            #expect(committed == 1)
        }
    }

    @Test("a transaction left open by withConnection is rolled back before the connection is reused")
    func openTransactionIsRolledBack() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            try await pool.withConnection { connection in
                try connection.execute("BEGIN; SET LOCAL application_name = 'inside'", step: "begin")
            }
            let applicationName = try await pool.withConnection { connection in
                try connection.query("SELECT current_setting('application_name')")[0].string(0)
            }
            #expect(applicationName == "postgres-tests")
        }
    }

    @Test("close fails waiting callers with poolClosed and later callers too")
    func close() async throws {
        let pool = PostgresPool(configuration: try TestDatabase.configuration { $0.connectionsMax = 1 }, logger: TestDatabase.logger)
        try await pool.ping()
        let gate = Gate()
        let holder = Self.hold(pool, until: gate)
        try await gate.waitUntilHeld()
        async let waiter: PostgresError? = postgresError { try await pool.withConnection { _ in () } }
        try await Self.waitFor { pool.statistics.waiters == 1 }
        // close() waits for calls in progress, so the holder is let go while it closes.
        async let closing: Void = pool.close()
        #expect(await waiter?.kind == .poolClosed)
        gate.open()
        await closing
        try await holder.value
        let later = await postgresError { try await pool.ping() }
        #expect(later?.kind == .poolClosed)
        #expect(pool.statistics.connections == 0)
    }

    @Test("a cancelled waiter leaves the queue")
    func cancelledWaiter() async throws {
        try await TestDatabase.withPool({ $0.connectionsMax = 1 }) { pool in
            let gate = Gate()
            let holder = Self.hold(pool, until: gate)
            try await gate.waitUntilHeld()
            let waiter = Task { try await pool.withConnection { _ in () } }
            try await Self.waitFor { pool.statistics.waiters == 1 }
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            #expect(pool.statistics.waiters == 0)
            gate.open()
            try await holder.value
            try await pool.ping()
        }
    }

    /// Holds the pool's connection until the gate opens, so that other callers must wait for it
    /// however slowly the machine runs.
    final class Gate: Sendable {
        let state = Locked((held: false, open: false))

        func open() {
            self.state.withLock { $0.open = true }
        }

        func waitUntilHeld() async throws {
            try await PoolTests.waitFor { self.state.withLock { $0.held } }
        }

        func holdUntilOpen() {
            self.state.withLock { $0.held = true }
            let deadline = ContinuousClock.now + .seconds(30)
            while !self.state.withLock({ $0.open }), ContinuousClock.now < deadline {
                usleep(1_000)
            }
        }
    }

    static func hold(_ pool: PostgresPool, until gate: Gate) -> Task<Void, any Error> {
        Task {
            try await pool.withConnection { connection in
                _ = try connection.query("SELECT 1")
                gate.holdUntilOpen()
            }
        }
    }

    static func waitFor(_ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not reached within 20 s")
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}
