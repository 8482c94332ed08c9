import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LedgerHTTP
import LedgerStore
import LedgerTestSupport
import Logging
import Postgres
import Redis
import Testing

@Suite("health, readiness, metrics and request ids")
struct OperationalTests {
    @Test("/healthz is 200")
    func health() async throws {
        try await LedgerHarness.with(label: "ops") { harness in
            try await harness.test { client in
                let response = try await client.get("/healthz")
                #expect(response.status == .ok)
                #expect(try response.json()["status"].string == "ok")
            }
        }
    }

    @Test("/readyz is 200 when Postgres and Redis answer")
    func ready() async throws {
        try await LedgerHarness.with(label: "ops") { harness in
            try await harness.test { client in
                let response = try await client.get("/readyz")
                #expect(response.status == .ok, "\(response.text)")
                let json = try response.json()
                #expect(json["status"].string == "ready" && json["postgres"].string == "ok" && json["redis"].string == "ok")
            }
        }
    }

    @Test("/readyz is 503 and names Redis when Redis is on a closed port")
    func notReadyWithoutRedis() async throws {
        try await LedgerHarness.with(label: "ops", redisURL: LedgerHarness.deadRedisURL) { harness in
            try await harness.test { client in
                let started = ContinuousClock.now
                let response = try await client.get("/readyz")
                #expect(ContinuousClock.now - started < .seconds(3))
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                let json = try response.json()
                #expect(json["status"].string == "unavailable" && json["postgres"].string == "ok" && json["redis"].string == "unavailable")
                // Liveness does not depend on either.
                #expect(try await client.get("/healthz").status == .ok)
            }
        }
    }

    @Test("/readyz is 503 and names Postgres when the database is gone")
    func notReadyWithoutPostgres() async throws {
        try await LedgerHarness.with(label: "ops") { harness in
            try await harness.test { client in
                await harness.database.pool.close()
                let response = try await client.get("/readyz")
                #expect(response.status == .serviceUnavailable)
                #expect(try response.json()["postgres"].string == "unavailable")
                #expect(try response.json()["redis"].string == "ok")
            }
        }
    }

    @Test("/metrics renders request counts by route pattern, never by raw path")
    func metrics() async throws {
        try await LedgerHarness.with(label: "ops") { harness in
            try await harness.test { client in
                let id = try await client.createAccount()
                _ = try await client.get("/v1/accounts/\(id)")
                _ = try await client.get("/v1/accounts/\(UUID())")
                _ = try await client.get("/no/such/path")
                let response = try await client.get("/metrics")
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                let text = response.text
                #expect(text.contains(#"ledger_http_requests_total{route="/v1/accounts/{id}",method="GET",status="200"} 1"#), "\(text)")
                #expect(text.contains(#"ledger_http_requests_total{route="/v1/accounts/{id}",method="GET",status="404"} 1"#))
                #expect(text.contains(#"ledger_http_requests_total{route="/v1/accounts",method="POST",status="201"} 1"#))
                #expect(text.contains(#"route="unmatched""#))
                #expect(text.contains("ledger_http_request_duration_seconds_bucket"))
                #expect(!text.contains(id.uuidString.lowercased()))
                #expect(!text.contains("/no/such/path"))
            }
        }
    }

    @Test("X-Request-Id is echoed when sane and generated otherwise, on successes and errors alike")
    func requestID() async throws {
        try await LedgerHarness.with(label: "ops") { harness in
            try await harness.test { client in
                let name = RequestIDMiddleware.headerName
                var headers = HTTPFields()
                headers[name] = "client-id-123"
                #expect(try await client.get("/healthz", headers: headers).headers[name] == "client-id-123")
                #expect(try await client.get("/v1/accounts/nope", headers: headers).headers[name] == "client-id-123")
                #expect(try await client.post("/v1/accounts", "{", headers: headers).headers[name] == "client-id-123")
                #expect(try await client.post("/v1/accounts", "{}", key: nil, headers: headers).headers[name] == "client-id-123")
                #expect(try await client.get("/nowhere", headers: headers).headers[name] == "client-id-123")

                let generated = try await client.get("/healthz").headers[name]
                #expect(generated.flatMap(UUID.init(uuidString:)) != nil)
                for insane in [String(repeating: "x", count: 129), "has space", "naïve"] {
                    headers[name] = insane
                    let echoed = try await client.get("/healthz", headers: headers).headers[name]
                    #expect(echoed != insane)
                    #expect(echoed.flatMap(UUID.init(uuidString:)) != nil)
                }
            }
        }
    }

    @Test("over a real socket: write, read, replay, refuse and request ids")
    func live() async throws {
        try await LedgerHarness.with(label: "live") { harness in
            try await harness.application().test(.live) { liveClient in
                let client = harness.authorized(liveClient)
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let key = "live-\(UUID())"
                let body = #"{"debit_account_id":"\#(a)","credit_account_id":"\#(b)","amount":12,"currency":"USD"}"#
                let first = try await client.post("/v1/transfers", body, key: key)
                #expect(first.status == .created)
                let again = try await client.post("/v1/transfers", body, key: key)
                #expect(again.bytes == first.bytes)
                #expect(again.headers[IdempotencyKey.replayedHeaderName] == "true")
                #expect(try await client.balances(b).posted == 12)
                let bad = try await client.post("/v1/transfers", #"{"amount":"12"}"#)
                #expect(bad.status == .badRequest)
                #expect(bad.headers[RequestIDMiddleware.headerName] != nil)
                let large = try await client.post("/v1/accounts", String(repeating: " ", count: 2 << 20))
                #expect(large.status == .contentTooLarge)
                #expect(try await client.get("/readyz").status == .ok)
            }
        }
    }
}
