import Logging
import Redis
import Testing

/// Every call of a client goes through shared pipelines, so the replies of many concurrent
/// callers travel together; these tests check that each caller still gets exactly its own.
@Suite("RedisClient: concurrent callers share pipelines", .serialized, .timeLimit(.minutes(2)))
struct RedisBatchingTests {
    /// What one caller of `concurrentPipelines` sends in one round and must get back. The
    /// counter grows by a step of the caller's own, so a reply handed to the wrong caller has
    /// the wrong value, not merely the right shape.
    private static func fanOutRound(
        _ round: Int, caller: Int, counter: String, tag: String
    ) -> (commands: [[String]], replies: [RedisReply]) {
        let step = caller + 1
        let total = RedisReply.integer(Int64(step * (round + 1)))
        if caller.isMultiple(of: 2) {
            let text = "caller-\(caller)-round-\(round)"
            return (
                [["INCRBY", counter, String(step)], ["SET", tag, text, "PX", "60000"], ["GET", tag]],
                [total, .status("OK"), .bulk(Array(text.utf8))]
            )
        }
        return (
            [["INCRBY", counter, String(step)], ["GET", counter]],
            [total, .bulk(Array(String(step * (round + 1)).utf8))]
        )
    }

    @Test("200 concurrent pipelines of two or three commands each get exactly their own replies, in order")
    func concurrentPipelines() async throws {
        try await withClient { client async throws in
            let run = uniqueKey("fan-out")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<200 {
                    group.addTask {
                        let counter = "\(run):counter:\(caller)"
                        let tag = "\(run):tag:\(caller)"
                        for round in 0..<3 {
                            let (commands, expected) = Self.fanOutRound(round, caller: caller, counter: counter, tag: tag)
                            let replies = try await client.pipeline(commands)
                            #expect(replies == expected, "caller \(caller), round \(round)")
                        }
                        let deleted = try await client.command(["DEL", counter, tag])
                        #expect(deleted == .integer(caller.isMultiple(of: 2) ? 2 : 1), "caller \(caller)")
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("an error reply fails only the command it answers, while concurrent callers in the same pipelines succeed")
    func errorRepliesStayWithTheirCaller() async throws {
        try await withClient({ $0.connectionsMax = 1 }) { client async throws in
            let run = uniqueKey("errors")
            let word = "\(run):word"
            _ = try await client.command(["SET", word, "not a number", "PX", "60000"])
            let connectionID = try await client.command(["CLIENT", "ID"])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<150 {
                    group.addTask {
                        let counter = "\(run):counter:\(caller)"
                        let step = caller + 1
                        for round in 0..<3 {
                            let total = RedisReply.integer(Int64(step * (round + 1)))
                            switch caller % 10 {
                            case 0:
                                // A top-level error reply to `command` is thrown to this caller alone.
                                let error = await failure { () throws(RedisError) in try await client.command(["INCR", word]) }
                                #expect(error?.kind == .server, "caller \(caller), round \(round)")
                                #expect(error?.message.hasPrefix("ERR") == true, "caller \(caller), round \(round)")
                                _ = try await client.command(["INCRBY", counter, String(step)])
                            case 5:
                                // In a pipeline the error stays in its place; the commands around it ran.
                                let replies = try await client.pipeline([
                                    ["INCRBY", counter, String(step)], ["INCR", word], ["GET", word],
                                ])
                                #expect(replies.count == 3, "caller \(caller), round \(round)")
                                #expect(replies.first == total, "caller \(caller), round \(round)")
                                #expect(
                                    replies.dropFirst().first?.errorMessage?.hasPrefix("ERR") == true,
                                    "caller \(caller), round \(round)")
                                #expect(replies.last == .bulk(Array("not a number".utf8)), "caller \(caller), round \(round)")
                            default:
                                let replies = try await client.pipeline([["INCRBY", counter, String(step)], ["GET", counter]])
                                #expect(
                                    replies == [total, .bulk(Array(String(step * (round + 1)).utf8))],
                                    "caller \(caller), round \(round)")
                            }
                        }
                        #expect(try await client.command(["GETDEL", counter]).int == Int64(step * 3), "caller \(caller)")
                    }
                }
                try await group.waitForAll()
            }
            // Error replies are ordinary replies: they did not cost the one shared connection.
            #expect(try await client.command(["CLIENT", "ID"]) == connectionID)
            #expect(try await client.command(["GETDEL", word]).string == "not a number")
        }
    }

    @Test("concurrent evalScript calls each get their own argument back, also across SCRIPT FLUSH")
    func concurrentScripts() async throws {
        // SCRIPT FLUSH empties the script cache of the whole server, so it is sent to a server
        // of this test's own rather than to the one other suites share.
        let server = RedisServerProcess(port: try unusedPort())
        try await server.start()
        defer { server.stop() }
        let script = RedisScript("return ARGV[1]")
        let configuration = RedisConfiguration(host: "127.0.0.1", port: server.port)
        try await withClient(server: configuration) { client async throws in
            /// Runs the script from `callers` concurrent tasks, `calls` times each, every call
            /// with an argument of its own; `midway` runs once half of all calls have returned.
            func runConcurrently(callers: Int, calls: Int, midway: (@Sendable () async throws -> Void)? = nil) async throws {
                let (completions, completed) = AsyncStream.makeStream(of: Void.self)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    if let midway {
                        group.addTask {
                            var seen = 0
                            for await _ in completions {
                                seen += 1
                                if seen == callers * calls / 2 { break }
                            }
                            try await midway()
                        }
                    }
                    for caller in 0..<callers {
                        group.addTask {
                            for call in 0..<calls {
                                let argument = "caller-\(caller)-call-\(call)"
                                let reply = try await client.evalScript(script, keys: [], args: [argument])
                                #expect(reply == .bulk(Array(argument.utf8)))
                                completed.yield()
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                completed.finish()
            }

            // First use: no caller knows the script's hash yet.
            try await runConcurrently(callers: 100, calls: 1)
            let hash = try #require(try await client.command(["SCRIPT", "LOAD", script.source]).string)

            // A flush while calls are in flight: the calls after it find the script gone.
            try await runConcurrently(callers: 100, calls: 5) { () async throws in
                #expect(try await client.command(["SCRIPT", "FLUSH"]) == .status("OK"))
            }

            // A flush while idle: the first of the next concurrent calls find the script gone
            // together, and each must still get its own reply from the reload.
            _ = try await client.command(["SCRIPT", "FLUSH"])
            #expect(try await client.command(["SCRIPT", "EXISTS", hash]) == .array([.integer(0)]))
            try await runConcurrently(callers: 100, calls: 2)
            #expect(try await client.command(["SCRIPT", "EXISTS", hash]) == .array([.integer(1)]))

            // The server is this test's alone, so its counts show that the calls above really
            // ran by hash and really met the flushed cache.
            let stats = try #require(try await client.command(["INFO", "all"]).string)
            #expect(Self.count(in: stats, line: "cmdstat_evalsha:", field: "calls") >= 100)
            #expect(Self.count(in: stats, line: "errorstat_NOSCRIPT:", field: "count") >= 1)
        }
    }

    @Test("with connectionsMax 1, hundreds of concurrent callers all succeed on the one connection")
    func oneConnectionServesEveryone() async throws {
        let name = "redis-batching-\(UInt32.random(in: 0...UInt32.max))"
        try await withClient({ $0.connectionsMax = 1; $0.clientName = name }) { client async throws in
            let run = uniqueKey("one-connection")
            let ids = try await withThrowingTaskGroup(of: RedisReply.self) { group in
                for caller in 0..<500 {
                    group.addTask {
                        let counter = "\(run):\(caller)"
                        // Half the callers use `command`, half `pipeline`, so both share pipelines.
                        if caller.isMultiple(of: 2) {
                            #expect(try await client.command(["INCRBY", counter, String(caller + 1)]) == .integer(Int64(caller + 1)))
                            #expect(try await client.command(["GETDEL", counter]).int == Int64(caller + 1))
                            return try await client.command(["CLIENT", "ID"])
                        }
                        let replies = try await client.pipeline([
                            ["INCRBY", counter, String(caller + 1)], ["GETDEL", counter], ["CLIENT", "ID"],
                        ])
                        #expect(replies.count == 3)
                        #expect(replies.first == .integer(Int64(caller + 1)))
                        #expect(replies.dropFirst().first?.int == Int64(caller + 1))
                        return replies.last ?? .null
                    }
                }
                var ids: Set<RedisReply> = []
                for try await id in group {
                    ids.insert(id)
                }
                return ids
            }
            #expect(ids.count == 1, "every caller was served by the same connection: \(ids)")
            let clients = try #require(try await client.command(["CLIENT", "LIST"]).string)
            let named = clients.split(whereSeparator: \.isNewline).filter { $0.contains(" name=\(name) ") }
            #expect(named.count == 1)
        }
    }

    /// The number after `field=` on the line of `INFO` that starts with `line`, or 0.
    private static func count(in info: String, line prefix: String, field: String) -> Int {
        guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix(prefix) }) else {
            return 0
        }
        let pairs = line.dropFirst(prefix.count).split(separator: ",")
        guard let pair = pairs.first(where: { $0.hasPrefix("\(field)=") }) else {
            return 0
        }
        return Int(pair.dropFirst(field.count + 1)) ?? 0
    }
}
