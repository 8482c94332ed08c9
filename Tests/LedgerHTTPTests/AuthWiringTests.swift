import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LedgerHTTP
import LedgerStore
import LedgerTestSupport
import Postgres
import Testing

/// The access middlewares as `buildRouter` wires them into the service.
@Suite("access control in the service's router")
struct AuthWiringTests {
    @Test("/v1 needs a key with the route's scope; health, readiness and metrics stay open; limits are reported")
    func wired() async throws {
        try await LedgerHarness.with(label: "authwire") { harness in
            let store = APIKeyStore(pool: harness.database.pool)
            let (_, reader) = try await store.create(name: "reader", scopes: [.read])
            let (_, accounts) = try await store.create(name: "accounts", scopes: [.accountsWrite])
            try await harness.application().test(.router) { client in
                let missing = try await client.post("/v1/accounts", #"{"currency":"USD"}"#)
                #expect(missing.status == .unauthorized)
                #expect(try missing.problemCode() == "unauthorized")
                #expect(missing.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                #expect(missing.headers[RequestIDMiddleware.headerName] != nil)
                #expect(try await client.get("/v1/accounts").status == .unauthorized)

                let readOnly: HTTPFields = [.authorization: "Bearer \(reader.text)"]
                let forbidden = try await client.post("/v1/accounts", #"{"currency":"USD"}"#, headers: readOnly)
                #expect(forbidden.status == .forbidden)
                #expect(try forbidden.problemCode() == "forbidden")
                for path in ["/v1/transfers", "/v1/transfers/batch", "/v1/transfers/\(UUID())/post", "/v1/transfers/\(UUID())/void"] {
                    #expect(try await client.post(path, "{}", headers: readOnly).status == .forbidden)
                }
                #expect(try await harness.count("accounts") == 0)

                let created = try await client.post("/v1/accounts", #"{"currency":"USD"}"#, headers: [.authorization: "Bearer \(accounts.text)"])
                #expect(created.status == .created)
                let listed = try await client.get("/v1/accounts", headers: readOnly)
                #expect(listed.status == .ok)
                // The default limits apply to keys made without their own.
                #expect(listed.headers[RateLimitMiddleware<LedgerRequestContext>.limitHeader] == String(RateLimitConfiguration().defaultBurst))

                for path in ["/healthz", "/readyz", "/metrics"] {
                    let response = try await client.get(path)
                    #expect(response.status == .ok, "\(path)")
                }
            }
        }
    }

    @Test("idempotency keys are scoped by the API key that sent them")
    func idempotencyScopedByKey() async throws {
        try await LedgerHarness.with(label: "authwire") { harness in
            let store = APIKeyStore(pool: harness.database.pool)
            let (first, one) = try await store.create(name: "one", scopes: [.accountsWrite])
            let (second, two) = try await store.create(name: "two", scopes: [.accountsWrite])
            try await harness.application().test(.router) { client in
                let key = "shared-\(UUID())"
                let a = try await client.post("/v1/accounts", #"{"currency":"USD"}"#, key: key, headers: [.authorization: "Bearer \(one.text)"])
                let b = try await client.post("/v1/accounts", #"{"currency":"USD"}"#, key: key, headers: [.authorization: "Bearer \(two.text)"])
                #expect(a.status == .created && b.status == .created)
                #expect(a.bytes != b.bytes)
                #expect(b.headers[IdempotencyKey.replayedHeaderName] == nil)
            }
            let scopes = try await harness.database.pool.withConnection { connection in
                try connection.query("SELECT scope FROM idempotency_keys ORDER BY scope").map { try $0.string(0) }
            }
            #expect(scopes == [first.id, second.id].sorted())
        }
    }
}
