import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LedgerHTTP
import LedgerStore
import LedgerTestSupport
import Logging
import Postgres
import Prometheus
import Redis
import Testing

/// PRODUCT.md §3, row by row; each row is checked with the test Redis and with a Redis that
/// is not there at all, where Postgres alone must give the same answers.
@Suite("idempotency keys")
struct IdempotencyTests {
    enum RedisSetup: String, CaseIterable, Sendable, CustomStringConvertible {
        case live
        case dead
        var url: String? { self == .live ? nil : LedgerHarness.deadRedisURL }
        var description: String { "redis \(rawValue)" }
    }

    static func transferBody(_ debit: UUID, _ credit: UUID, _ amount: Int, extra: String = "") -> String {
        #"{"debit_account_id":"\#(debit)","credit_account_id":"\#(credit)","amount":\#(amount),"currency":"USD"\#(extra)}"#
    }

    @Test("same key and body: the stored response again, byte for byte, marked replayed; nothing runs twice", arguments: RedisSetup.allCases)
    func replay(_ redis: RedisSetup) async throws {
        try await LedgerHarness.with(label: "idem", redisURL: redis.url) { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let key = "replay-\(UUID())"
                let first = try await client.post("/v1/transfers", Self.transferBody(a, b, 25), key: key)
                #expect(first.status == .created)
                #expect(first.headers[IdempotencyKey.replayedHeaderName] == nil)
                // Same JSON, other key order and whitespace: the same canonical fingerprint.
                let reordered = #"{ "currency": "USD", "amount": 25, "credit_account_id": "\#(b)", "debit_account_id": "\#(a)" }"#
                for body in [Self.transferBody(a, b, 25), reordered] {
                    let again = try await client.post("/v1/transfers", body, key: key)
                    #expect(again.status == .created)
                    #expect(again.bytes == first.bytes)
                    #expect(again.headers[IdempotencyKey.replayedHeaderName] == "true")
                }
                #expect(try await harness.count("transfers") == 1)
                #expect(try await client.balances(b).posted == 25)
            }
        }
    }

    @Test("same key, other body, path or method fingerprint: idempotency_key_reused", arguments: RedisSetup.allCases)
    func reused(_ redis: RedisSetup) async throws {
        try await LedgerHarness.with(label: "idem", redisURL: redis.url) { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let key = "reused-\(UUID())"
                #expect(try await client.post("/v1/transfers", Self.transferBody(a, b, 25), key: key).status == .created)
                let otherBody = try await client.post("/v1/transfers", Self.transferBody(a, b, 26), key: key)
                #expect(otherBody.status == .unprocessableContent)
                #expect(try otherBody.problemCode() == "idempotency_key_reused")
                let otherPath = try await client.post("/v1/accounts", #"{"currency":"USD"}"#, key: key)
                #expect(try otherPath.problemCode() == "idempotency_key_reused")
                #expect(try await harness.count("transfers") == 1)
                #expect(try await harness.count("accounts") == 2)
            }
        }
    }

    @Test("a 4xx answer is stored and replayed like a success", arguments: RedisSetup.allCases)
    func storedRefusals(_ redis: RedisSetup) async throws {
        try await LedgerHarness.with(label: "idem", redisURL: redis.url) { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount(flags: #"{"debits_must_not_exceed_credits":true}"#)
                // A rule failure (422), a missing account (404) and a malformed body (400).
                let cases = [
                    ("/v1/transfers", Self.transferBody(b, a, 5), HTTPResponse.Status.unprocessableContent),
                    ("/v1/transfers", Self.transferBody(a, UUID(), 5), .notFound),
                    ("/v1/transfers", #"{"amount": 1.0"#, .badRequest),
                ]
                for (path, body, status) in cases {
                    let key = "refusal-\(UUID())"
                    let first = try await client.post(path, body, key: key)
                    #expect(first.status == status, "\(first.text)")
                    // Fund the account in between: the stored 422 is still what the key answers.
                    try await client.transfer(from: a, to: b, amount: 10)
                    let again = try await client.post(path, body, key: key)
                    #expect(again.status == status)
                    #expect(again.bytes == first.bytes)
                    #expect(again.headers[IdempotencyKey.replayedHeaderName] == "true")
                }
            }
        }
    }

    @Test("64 concurrent identical requests with one key move the money once", arguments: RedisSetup.allCases)
    func concurrentDuplicates(_ redis: RedisSetup) async throws {
        try await LedgerHarness.with(label: "idem", redisURL: redis.url) { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let key = "burst-\(UUID())"
                let body = Self.transferBody(a, b, 7)
                let responses = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                    for _ in 0..<64 {
                        group.addTask { try await client.post("/v1/transfers", body, key: key) }
                    }
                    var all: [TestResponse] = []
                    for try await response in group { all.append(response) }
                    return all
                }
                let created = responses.filter { $0.status == .created }
                let inFlight = responses.filter { $0.status == .conflict }
                #expect(created.count + inFlight.count == 64, "\(Set(responses.map(\.status.code)))")
                #expect(created.count >= 1)
                #expect(created.filter { $0.headers[IdempotencyKey.replayedHeaderName] == nil }.count == 1)
                #expect(Set(created.map(\.bytes)).count == 1)
                for response in inFlight {
                    #expect(try response.problemCode() == "idempotency_key_in_flight")
                    #expect(response.headers[.retryAfter] == "1")
                }
                #expect(try await harness.count("transfers") == 1)
                #expect(try await client.balances(b).posted == 7)
                // Once the first has finished, every retry is a replay.
                let retry = try await client.post("/v1/transfers", body, key: key)
                #expect(retry.status == .created)
                #expect(retry.bytes == created[0].bytes)
            }
        }
    }

    @Test("a key whose first request is still running answers idempotency_key_in_flight")
    func inFlight() async throws {
        try await LedgerHarness.with(label: "idem") { harness in
            try await harness.test { client in
                let key = "held-\(UUID())"
                // The lock another instance would hold while it runs the first request.
                _ = try await harness.redis.command(["SET", IdempotencyCache.lockKey(scope: harness.apiKeyID, key: key), "other", "PX", "10000"])
                let response = try await client.post("/v1/accounts", #"{"currency":"USD"}"#, key: key)
                #expect(response.status == .conflict)
                #expect(try response.problemCode() == "idempotency_key_in_flight")
                #expect(response.headers[.retryAfter] == "1")
                #expect(try await harness.count("accounts") == 0)
                // Our request must not have released the other holder's lock.
                let lock = try await harness.redis.command(["GET", IdempotencyCache.lockKey(scope: harness.apiKeyID, key: key)])
                #expect(lock.string == "other")
                _ = try await harness.redis.command(["DEL", IdempotencyCache.lockKey(scope: harness.apiKeyID, key: key)])
                #expect(try await client.post("/v1/accounts", #"{"currency":"USD"}"#, key: key).status == .created)
            }
        }
    }

    @Test("after the Redis cache is flushed, a replay comes from Postgres with identical bytes")
    func replayAfterFlush() async throws {
        // Database 13 of the test Redis belongs to this test alone, so flushing it is safe.
        try await LedgerHarness.with(label: "idem", redisDatabase: 13) { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let key = "flush-\(UUID())"
                let first = try await client.post("/v1/transfers", Self.transferBody(a, b, 11), key: key)
                #expect(first.status == .created)
                let cached = try await harness.redis.command(["EXISTS", IdempotencyCache.responseKey(scope: harness.apiKeyID, key: key)])
                #expect(cached.int == 1)
                #expect(try await harness.redis.command(["GET", IdempotencyCache.lockKey(scope: harness.apiKeyID, key: key)]).isNull)

                _ = try await harness.redis.command(["FLUSHDB"])
                let replayed = try await client.post("/v1/transfers", Self.transferBody(a, b, 11), key: key)
                #expect(replayed.status == .created)
                #expect(replayed.bytes == first.bytes)
                #expect(replayed.headers[IdempotencyKey.replayedHeaderName] == "true")
                #expect(try await harness.count("transfers") == 1)
                let metrics = try await client.get("/metrics").text
                #expect(metrics.contains(#"ledger_idempotency_total{outcome="replay_postgres"} 1"#), "\(metrics)")
                // The replay from Postgres filled the cache again.
                #expect(try await harness.redis.command(["EXISTS", IdempotencyCache.responseKey(scope: harness.apiKeyID, key: key)]).int == 1)
                let fromCache = try await client.post("/v1/transfers", Self.transferBody(a, b, 11), key: key)
                #expect(fromCache.bytes == first.bytes)
                #expect(try await client.get("/metrics").text.contains(#"ledger_idempotency_total{outcome="replay_redis"} 1"#))
            }
        }
    }

    @Test("a failure that was not stored (503) leaves the key free to run again")
    func failureFreesKey() async throws {
        let key = "free-\(UUID())"
        try await LedgerHarness.with(label: "idem") { harness in
            try await harness.test { client in
                await harness.committer.shutdown()
                let failed = try await client.post("/v1/accounts", #"{"currency":"USD"}"#, key: key)
                #expect(failed.status == .serviceUnavailable)
                #expect(try await harness.redis.command(["GET", IdempotencyCache.lockKey(scope: harness.apiKeyID, key: key)]).isNull)
                #expect(try await harness.redis.command(["GET", IdempotencyCache.responseKey(scope: harness.apiKeyID, key: key)]).isNull)
            }
            // The same key on a running service runs the request.
            let fresh = Committer(pool: harness.database.pool, logger: harness.logger)
            fresh.start()
            let services = LedgerServices(committer: fresh, reader: harness.reader, pool: harness.database.pool, redis: harness.redis, metricsRegistry: .init())
            let app = buildApplication(services, configuration: harness.configuration, logger: harness.logger)
            try await app.test(.router) { routerClient in
                let client = harness.authorized(routerClient)
                let retried = try await client.post("/v1/accounts", #"{"currency":"USD"}"#, key: key)
                #expect(retried.status == .created)
                #expect(retried.headers[IdempotencyKey.replayedHeaderName] == nil)
            }
            await fresh.shutdown()
        }
    }

    @Test("with Redis down, Redis failures are counted and requests still succeed")
    func redisDownMetrics() async throws {
        try await LedgerHarness.with(label: "idem", redisURL: LedgerHarness.deadRedisURL) { harness in
            try await harness.test { client in
                #expect(try await client.post("/v1/accounts", #"{"currency":"USD"}"#).status == .created)
                let metrics = try await client.get("/metrics").text
                #expect(metrics.contains(#"ledger_idempotency_total{outcome="redis_error"}"#), "\(metrics)")
            }
        }
    }

    @Test("keys are scoped by API key")
    func scoped() {
        #expect(IdempotencyCache.responseKey(scope: "a:b", key: "c") != IdempotencyCache.responseKey(scope: "a", key: "b:c"))
        #expect(IdempotencyCache.responseKey(scope: "default", key: "k") == "idem:default:k")
        #expect(IdempotencyCache.escape("a%b:c") == "a%25b%3Ac")
        #expect(IdempotencyCache.escape("plain") == "plain")
        #expect(IdempotencyCache.lockKey(scope: "default", key: "k") == "idem-lock:default:k")
    }

    @Test("the cached value format round-trips binary bodies")
    func cacheFormat() throws {
        let cached = IdempotencyCache.CachedResponse(
            fingerprint: Array(repeating: 0xAB, count: 32), response: .init(status: 422, body: [0, 255, 10, 13])
        )
        #expect(IdempotencyCache.decode(IdempotencyCache.encode(cached)) == cached)
        #expect(IdempotencyCache.decode([2] + IdempotencyCache.encode(cached).dropFirst()) == nil)
        #expect(IdempotencyCache.decode([1, 2, 3]) == nil)
    }
}
