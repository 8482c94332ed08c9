import Logging
import Redis
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Timing tests: each bound below is the configured limit plus slack for a busy machine. The
/// whole test suite runs in parallel on two cores, so the slack is generous: these tests prove
/// that a call ends long before the server would have answered, not how fast it ends (that is
/// for benchmarks to measure).
@Suite("RedisClient limits, timeouts and recovery", .serialized)
struct RedisResilienceTests {
    /// Scheduling noise allowed on top of a configured limit. Two seconds were not always enough
    /// with every suite running at once on two cores; five still end every bounded call long
    /// before the 10 s the server would take to answer.
    static let slack: Duration = .seconds(5)

    @Test("a reply slower than commandTimeout fails with .timeout in time; the next call uses a fresh connection")
    func commandTimeout() async throws {
        var configuration = try testConfiguration()
        configuration.connectionsMax = 1
        configuration.commandTimeout = .milliseconds(50)
        configuration.connectTimeout = .milliseconds(500)
        let client = RedisClient(configuration: configuration, logger: LogRecorder().logger)
        defer { Task { await client.close() } }

        let firstID = try #require(try await client.command(["CLIENT", "ID"]).int)
        let (elapsed, outcome) = await timed { () throws(RedisError) in
            try await client.command(["BLPOP", uniqueKey("never-pushed"), "10"])
        }
        guard case .failure(let error) = outcome else {
            Issue.record("BLPOP on an empty list returned \(outcome)")
            return
        }
        #expect(error.kind == .timeout)
        #expect(elapsed >= .milliseconds(45))
        #expect(elapsed < configuration.commandTimeout + Self.slack, "took \(elapsed)")

        let secondID = try #require(try await client.command(["CLIENT", "ID"]).int)
        #expect(secondID != firstID, "a timed-out connection must not be reused")
        try await client.ping()
    }

    @Test("a closed port fails fast, and many calls in a row stay fast (circuit)")
    func closedPortFailsFast() async throws {
        var configuration = try testConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = try unusedPort()
        configuration.reconnectBackoff = .milliseconds(500)
        let recorder = LogRecorder()
        let client = RedisClient(configuration: configuration, logger: recorder.logger)
        defer { Task { await client.close() } }

        let start = ContinuousClock.now
        var kinds: [RedisError.Kind] = []
        var slowest: Duration = .zero
        for _ in 0..<200 {
            let (elapsed, outcome) = await timed { () throws(RedisError) in try await client.ping() }
            slowest = max(slowest, elapsed)
            guard case .failure(let error) = outcome else {
                Issue.record("PING to a closed port succeeded")
                return
            }
            kinds.append(error.kind)
        }
        let total = ContinuousClock.now - start
        #expect(slowest < Self.slack, "slowest call took \(slowest)")
        #expect(kinds.first == .connect)
        #expect(kinds.allSatisfy { $0 == .connect || $0 == .unavailable })
        // One connect per backoff interval at most: the rest are refused without touching the network.
        let intervals = Int(total / configuration.reconnectBackoff) + 1
        let connects = kinds.filter { $0 == .connect }.count
        #expect(connects <= intervals, "\(connects) connects in \(total)")
        #expect(kinds.filter { $0 == .unavailable }.count >= 200 - intervals)

        let logged = recorder.entries(withMessage: "redis connect failed")
        #expect(logged.count >= 1 && logged.count <= intervals, "\(logged.count) connect failures logged in \(total)")
        let metadata = try #require(logged.first?.metadata)
        #expect(metadata["redis.host"] == "127.0.0.1")
        #expect(metadata["redis.port"] == "\(configuration.port)")
        #expect(metadata["redis.error"] != nil)
    }

    @Test("a client whose server is killed and restarted recovers by itself after reconnectBackoff")
    func recoversAfterRestart() async throws {
        _ = try testConfiguration()
        let server = RedisServerProcess(port: try unusedPort())
        defer { server.stop() }
        try await server.start()

        var configuration = RedisConfiguration(host: "127.0.0.1", port: server.port)
        configuration.connectionsMax = 4
        configuration.reconnectBackoff = .milliseconds(200)
        configuration.connectTimeout = .milliseconds(200)
        configuration.commandTimeout = .milliseconds(200)
        let recorder = LogRecorder()
        let client = RedisClient(configuration: configuration, logger: recorder.logger)
        defer { Task { await client.close() } }

        let key = uniqueKey("restart")
        _ = try await client.command(["SET", key, "before"])
        try await client.ping()

        server.stop()
        var downKinds: [RedisError.Kind] = []
        for _ in 0..<20 {
            let (elapsed, outcome) = await timed { () throws(RedisError) in try await client.ping() }
            #expect(elapsed < Self.slack, "a call to a down server took \(elapsed)")
            guard case .failure(let error) = outcome else {
                Issue.record("PING to a killed server succeeded")
                return
            }
            downKinds.append(error.kind)
        }
        #expect(downKinds.allSatisfy { [.io, .connect, .unavailable].contains($0) }, "\(downKinds)")
        #expect(downKinds.contains(.unavailable), "the circuit must open while the server is down")

        try await server.start()
        let restartedAt = ContinuousClock.now
        var recoveredAt: ContinuousClock.Instant?
        for _ in 0..<300 where recoveredAt == nil {
            if (try? await client.ping()) != nil {
                recoveredAt = .now
            } else {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        let recovered = try #require(recoveredAt, "the client never recovered")
        #expect(recovered - restartedAt < configuration.reconnectBackoff + Self.slack, "took \(recovered - restartedAt)")
        #expect(try await client.command(["GET", key]) == .null, "the new server starts empty")
        #expect(try await client.command(["SET", key, "after"]) == .status("OK"))
        #expect(!recorder.entries(withMessage: "redis connection restored").isEmpty)
    }

    @Test("a frozen server (SIGSTOP) costs each call at most its time bound, and thawing it heals the client")
    func frozenServer() async throws {
        _ = try testConfiguration()
        let server = RedisServerProcess(port: try unusedPort())
        defer { server.stop() }
        try await server.start()

        var configuration = RedisConfiguration(host: "127.0.0.1", port: server.port)
        configuration.connectionsMax = 2
        configuration.commandTimeout = .milliseconds(50)
        configuration.connectTimeout = .milliseconds(50)
        let client = RedisClient(configuration: configuration, logger: LogRecorder().logger)
        defer { Task { await client.close() } }
        try await client.ping()

        server.send(signal: SIGSTOP)
        // The kernel still accepts connections for a stopped process, so each call gets a
        // connection and then waits for a reply that never comes: it must end at the bound.
        let bound = configuration.connectTimeout + configuration.commandTimeout * 2 + Self.slack
        for _ in 0..<5 {
            let (elapsed, outcome) = await timed { () throws(RedisError) in try await client.ping() }
            guard case .failure(let error) = outcome else {
                Issue.record("PING to a frozen server succeeded")
                return
            }
            #expect([.timeout, .connect, .unavailable].contains(error.kind), "\(error)")
            #expect(elapsed < bound, "took \(elapsed)")
        }
        server.send(signal: SIGCONT)
        var healed = false
        for _ in 0..<100 where !healed {
            healed = (try? await client.ping()) != nil
            if !healed {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(healed, "the client did not recover once the server was thawed")
    }

    @Test("64 concurrent callers share connectionsMax 4 connections and all succeed")
    func concurrentCallers() async throws {
        var configuration = try testConfiguration()
        configuration.connectionsMax = 4
        // The wait for a free connection is bounded by commandTimeout; 64 callers queued behind
        // 4 connections, while every other suite runs on the same two cores, need far more than
        // the 50 ms default to be sure of a turn. This test is about sharing, not speed.
        configuration.commandTimeout = .seconds(15)
        configuration.connectTimeout = .seconds(1)
        configuration.clientName = "redis-tests-\(UInt32.random(in: 0...UInt32.max))"
        let client = RedisClient(configuration: configuration, logger: LogRecorder().logger)
        defer { Task { await client.close() } }
        let counter = uniqueKey("concurrent")

        let connectionIDs = try await withThrowingTaskGroup(of: Int64.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    _ = try await client.command(["INCR", counter])
                    return try #require(try await client.command(["CLIENT", "ID"]).int)
                }
            }
            var ids: Set<Int64> = []
            for try await id in group {
                ids.insert(id)
            }
            return ids
        }
        #expect(try await client.command(["GET", counter]).int == 64)
        #expect(connectionIDs.count >= 1 && connectionIDs.count <= 4, "used \(connectionIDs.count) connections")
        let list = try #require(try await client.command(["CLIENT", "LIST"]).string)
        let named = list.split(whereSeparator: \.isNewline).filter { $0.contains(" name=\(configuration.clientName!) ") }
        #expect(named.count >= 1 && named.count <= 4)
        _ = try await client.command(["DEL", counter])
    }

    @Test("when every connection is leased and waitersMax callers wait, the next caller fails at once")
    func waitersAreBounded() async throws {
        var configuration = try testConfiguration()
        configuration.connectionsMax = 1
        configuration.waitersMax = 0
        // The blocker holds the only connection for 3 s, so a caller that waited for it instead
        // of failing at once would take seconds; the 1 s bound leaves room for a busy machine.
        configuration.commandTimeout = .seconds(3)
        configuration.connectTimeout = .seconds(1)
        let name = uniqueClientName("waiters-are-bounded")
        configuration.clientName = name
        let client = RedisClient(configuration: configuration, logger: LogRecorder().logger)
        defer { Task { await client.close() } }
        try await client.ping()

        let blocker = Task { await failure { () throws(RedisError) in try await client.command(["BLPOP", uniqueKey("held"), "10"]) } }
        try await waitUntilBlocked(clientNamed: name)
        let (elapsed, outcome) = await timed { () throws(RedisError) in try await client.ping() }
        guard case .failure(let error) = outcome else {
            Issue.record("PING got a connection that BLPOP holds")
            return
        }
        #expect(error.kind == .poolExhausted)
        #expect(elapsed < .seconds(1), "took \(elapsed)")
        #expect(await blocker.value?.kind == .timeout)
        try await client.ping()
    }

    @Test("a caller waiting for a busy pool gives up after commandTimeout with .poolExhausted")
    func waitIsBounded() async throws {
        var configuration = try testConfiguration()
        configuration.connectionsMax = 1
        configuration.commandTimeout = .seconds(1)
        configuration.connectTimeout = .seconds(1)
        // The name lets the server's client list tell this client's one connection from the
        // other tests' connections, some of which block too.
        let name = uniqueClientName("wait-is-bounded")
        configuration.clientName = name
        let client = RedisClient(configuration: configuration, logger: LogRecorder().logger)
        defer { Task { await client.close() } }
        try await client.ping()

        // Eight 500 ms BLPOPs in one pipeline hold the only connection for about 4 s while no
        // single read comes near commandTimeout. The block may be noticed late on a busy
        // machine (the whole suite runs at once on two cores); as long as that is within the
        // first 3 s, the waiter reaches its own 1 s deadline before the connection is free.
        let list = uniqueKey("held")
        let blpops: [[String]] = Array(repeating: ["BLPOP", list, "0.5"], count: 8)
        // The PING must come after the BLPOPs are on the wire, or it would ride in their pipeline.
        let blocker = Task { () throws(RedisError) in try await client.pipeline(blpops) }
        try await waitUntilBlocked(clientNamed: name)
        let (elapsed, outcome) = await timed { () throws(RedisError) in try await client.ping() }
        guard case .failure(let error) = outcome else {
            Issue.record("PING got the connection the pipeline holds")
            return
        }
        #expect(error.kind == .poolExhausted)
        #expect(elapsed >= .milliseconds(980), "took \(elapsed)")
        #expect(elapsed < configuration.commandTimeout + Self.slack, "took \(elapsed)")
        #expect(try await blocker.value == Array(repeating: .null, count: 8))
        try await client.ping()
    }
}
