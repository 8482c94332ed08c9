import Logging
import Redis
import Testing

@Suite("RedisClient against a real server", .serialized)
struct RedisClientTests {
    @Test("binary values and keys round-trip byte for byte")
    func binaryRoundTrip() async throws {
        try await withClient { client async throws in
            let values: [[UInt8]] = [
                Array(0...255),
                [],
                Array("héllo wörld ✓ 🎉".utf8),
                Array("  leading, inner  and trailing spaces  ".utf8),
                Array("line\r\nbreak\0nul".utf8),
                Array(repeating: 0, count: 1_000),
            ]
            for (index, value) in values.enumerated() {
                var key = Array(uniqueKey("binary-\(index)").utf8)
                key.append(contentsOf: [0, 32, 255])
                let set = try await client.command(bytes: [Array("SET".utf8), key, value, Array("PX".utf8), Array("60000".utf8)])
                #expect(set == .status("OK"))
                let get = try await client.command(bytes: [Array("GET".utf8), key])
                #expect(get == .bulk(value))
                #expect(get.bytes?.count == value.count)
                let strlen = try await client.command(bytes: [Array("STRLEN".utf8), key])
                #expect(strlen == .integer(Int64(value.count)))
            }
            let text = "ünïcödé key with spaces"
            let key = uniqueKey(text)
            _ = try await client.command(["SET", key, text, "PX", "60000"])
            #expect(try await client.command(["GET", key]).string == text)
        }
    }

    @Test("integer, null, status, array and nested replies have their shapes")
    func replyShapes() async throws {
        try await withClient { client async throws in
            let counter = uniqueKey("counter")
            #expect(try await client.command(["INCR", counter]) == .integer(1))
            #expect(try await client.command(["INCRBY", counter, "-5"]).int == -4)
            #expect(try await client.command(["GET", counter]).int == -4)
            #expect(try await client.command(["GET", uniqueKey("missing")]) == .null)
            #expect(try await client.command(["PING"]) == .status("PONG"))

            let list = uniqueKey("list")
            #expect(try await client.command(["RPUSH", list, "a", "", "c"]) == .integer(3))
            let range = try await client.command(["LRANGE", list, "0", "-1"])
            #expect(range == .array([.bulk(Array("a".utf8)), .bulk([]), .bulk(Array("c".utf8))]))
            #expect(try await client.command(["LRANGE", uniqueKey("empty"), "0", "-1"]) == .array([]))

            let nested = try await client.command(["EVAL", "return {1, {2, 'x'}, redis.status_reply('fine')}", "0"])
            #expect(nested == .array([.integer(1), .array([.integer(2), .bulk(Array("x".utf8))]), .status("fine")]))
            _ = try await client.command(["DEL", counter, list])
        }
    }

    @Test("a top-level error reply throws .server and leaves the connection usable")
    func serverErrors() async throws {
        try await withClient({ $0.connectionsMax = 1 }) { client async throws in
            let id = try await client.command(["CLIENT", "ID"])
            let error = await failure { () throws(RedisError) in try await client.command(["NOSUCHCOMMAND", "x"]) }
            #expect(error?.kind == .server)
            #expect(error?.message.hasPrefix("ERR") == true)
            let word = uniqueKey("word")
            _ = try await client.command(["SET", word, "not a number", "PX", "60000"])
            let incr = await failure { () throws(RedisError) in try await client.command(["INCR", word]) }
            #expect(incr?.kind == .server)
            #expect(try await client.command(["CLIENT", "ID"]) == id, "a server error must not cost the connection")
        }
    }

    @Test("a pipeline of 1,000 commands returns 1,000 replies in order, errors in place")
    func pipelineOfAThousand() async throws {
        try await withClient { client async throws in
            let counter = uniqueKey("pipeline")
            let commands = Array(repeating: ["INCR", counter], count: 1_000)
            let replies = try await client.pipeline(commands)
            #expect(replies.count == 1_000)
            #expect(replies == (1...1_000).map { RedisReply.integer(Int64($0)) })

            let mixed = try await client.pipeline([["SET", counter, "x"], ["INCR", counter], ["GET", counter], ["DEL", counter]])
            #expect(mixed.count == 4)
            #expect(mixed[0] == .status("OK"))
            #expect(mixed[1].errorMessage?.hasPrefix("ERR") == true)
            #expect(mixed[2] == .bulk(Array("x".utf8)))
            #expect(mixed[3] == .integer(1))
            #expect(try await client.pipeline([]) == [])
        }
    }

    @Test("a pipeline longer than pipelineCommandsMax is refused before anything is sent")
    func pipelineLimit() async throws {
        try await withClient({ $0.pipelineCommandsMax = 10 }) { client async throws in
            let counter = uniqueKey("limited")
            let error = await failure { () throws(RedisError) in
                try await client.pipeline(Array(repeating: ["INCR", counter], count: 11))
            }
            #expect(error?.kind == .protocolError)
            #expect(try await client.command(["EXISTS", counter]) == .integer(0))
        }
    }

    @Test("evalScript runs by EVALSHA and survives SCRIPT FLUSH (NOSCRIPT fallback)")
    func scriptsSurviveFlush() async throws {
        try await withClient { client async throws in
            let script = RedisScript("return {KEYS[1], ARGV[1], ARGV[2], #KEYS, #ARGV}")
            let key = uniqueKey("script")
            let expected = RedisReply.array([.bulk(Array(key.utf8)), .bulk(Array("a b".utf8)), .bulk([]), .integer(1), .integer(2)])
            let hash = try #require(try await client.command(["SCRIPT", "LOAD", script.source]).string)

            #expect(try await client.evalScript(script, keys: [key], args: ["a b", ""]) == expected)
            let before = try await evalshaCalls(client)
            #expect(try await client.evalScript(script, keys: [key], args: ["a b", ""]) == expected)
            // Other suites share this Redis and may run scripts meanwhile, so the count can only rise.
            #expect(try await evalshaCalls(client) >= before + 1, "a known script must run by EVALSHA")

            _ = try await client.command(["SCRIPT", "FLUSH"])
            #expect(try await client.command(["SCRIPT", "EXISTS", hash]) == .array([.integer(0)]))
            #expect(try await client.evalScript(script, keys: [key], args: ["a b", ""]) == expected)
            #expect(try await client.command(["SCRIPT", "EXISTS", hash]) == .array([.integer(1)]))
            #expect(try await client.evalScript(script, keys: [key], args: ["a b", ""]) == expected)
        }
    }

    @Test("a failing script throws .server; a script that does not compile too")
    func scriptErrors() async throws {
        try await withClient { client async throws in
            let failing = await failure { () throws(RedisError) in
                try await client.evalScript(RedisScript("return redis.error_reply('LIMIT exceeded')"), keys: [], args: [])
            }
            #expect(failing?.kind == .server)
            #expect(failing?.message.contains("LIMIT exceeded") == true)
            let broken = await failure { () throws(RedisError) in
                try await client.evalScript(RedisScript("this is not lua"), keys: [], args: [])
            }
            #expect(broken?.kind == .server)
        }
    }

    @Test("SET NX PX with an owner token, and compare-and-delete by Lua")
    func inFlightMarkers() async throws {
        try await withClient { client async throws in
            let key = uniqueKey("idempotency")
            #expect(try await client.command(["SET", key, "owner-1", "NX", "PX", "5000"]) == .status("OK"))
            #expect(try await client.command(["SET", key, "owner-2", "NX", "PX", "5000"]) == .null, "a held marker is not taken over")
            #expect(try await client.command(["GET", key]).string == "owner-1")
            let ttl = try #require(try await client.command(["PTTL", key]).int)
            #expect(ttl > 0 && ttl <= 5_000)

            let compareAndDelete = RedisScript(
                """
                if redis.call('GET', KEYS[1]) == ARGV[1] then
                    return redis.call('DEL', KEYS[1])
                end
                return 0
                """
            )
            #expect(try await client.evalScript(compareAndDelete, keys: [key], args: ["owner-2"]) == .integer(0))
            #expect(try await client.command(["EXISTS", key]) == .integer(1), "only the owner may delete")
            #expect(try await client.evalScript(compareAndDelete, keys: [key], args: ["owner-1"]) == .integer(1))
            #expect(try await client.command(["EXISTS", key]) == .integer(0))

            #expect(try await client.command(["SET", key, "owner-3", "NX", "PX", "50"]) == .status("OK"))
            try await Task.sleep(for: .milliseconds(150))
            #expect(try await client.command(["SET", key, "owner-4", "NX", "PX", "5000"]) == .status("OK"), "an expired marker frees the key")
            _ = try await client.command(["DEL", key])
        }
    }

    @Test("the database from the URL is selected on every connection")
    func selectsDatabase() async throws {
        let key = uniqueKey("database")
        try await withClient({ $0.database = 3 }) { client async throws in
            _ = try await client.command(["SET", key, "in-three", "PX", "60000"])
            let info = try #require(try await client.command(["CLIENT", "INFO"]).string)
            #expect(info.contains(" db=3 "))
        }
        try await withClient({ $0.database = 0 }) { client async throws in
            #expect(try await client.command(["GET", key]) == .null)
        }
        try await withClient({ $0.database = 3 }) { client async throws in
            #expect(try await client.command(["GETDEL", key]).string == "in-three")
        }
    }

    @Test("after close every call fails with .closed")
    func closedClient() async throws {
        let client = RedisClient(configuration: try testConfiguration(), logger: LogRecorder().logger)
        try await client.ping()
        await client.close()
        let error = await failure { () throws(RedisError) in try await client.ping() }
        #expect(error?.kind == .closed)
        await client.close()
    }

    private func evalshaCalls(_ client: RedisClient) async throws -> Int {
        let info = try #require(try await client.command(["INFO", "commandstats"]).string)
        guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_evalsha:") }) else {
            return 0
        }
        let calls = try #require(line.split(separator: ",").first?.split(separator: "=").last)
        return try #require(Int(calls))
    }
}
