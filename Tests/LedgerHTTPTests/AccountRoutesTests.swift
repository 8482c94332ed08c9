import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerCore
@testable import LedgerHTTP
import LedgerStore
import LedgerTestSupport
import Logging
import Postgres
import Redis
import Testing

@Suite("account routes")
struct AccountRoutesTests {
    @Test("POST /v1/accounts opens an account with every field and echoes it back")
    func createFull() async throws {
        try await LedgerHarness.with(label: "acct") { harness in
            try await harness.test { client in
                let id = UUID()
                let body = #"{"id":"\#(id)","code":"merchant:42:wallet","currency":"JPY","flags":{"debits_must_not_exceed_credits":true,"credits_must_not_exceed_debits":false},"metadata":{"z":1,"a":{"k":[true,null]}}}"#
                let response = try await client.post("/v1/accounts", body)
                #expect(response.status == .created, "\(response.text)")
                #expect(response.headers[.contentType] == "application/json")
                let json = try response.json()
                #expect(json["id"].string == id.uuidString.lowercased())
                #expect(json["code"].string == "merchant:42:wallet")
                #expect(json["currency"].string == "JPY")
                #expect(json["flags"]["debits_must_not_exceed_credits"] == .bool(true))
                #expect(json["flags"]["credits_must_not_exceed_debits"] == .bool(false))
                // Metadata comes back in canonical form.
                #expect(json["metadata"].canonicalText == #"{"a":{"k":[true,null]},"z":1}"#)
                #expect(json["posted"].int == 0 && json["available"].int == 0 && json["debits_pending"].int == 0)
                #expect(RFC3339.parse(json["created_at"].string) != nil)

                let fetched = try await client.get("/v1/accounts/\(id)")
                #expect(fetched.status == .ok)
                #expect(fetched.bytes == response.bytes)
            }
        }
    }

    @Test("the same id and fields again answers 200 with the existing account; other fields are id_conflict")
    func createAgain() async throws {
        try await LedgerHarness.with(label: "acct") { harness in
            try await harness.test { client in
                let id = UUID()
                let first = try await client.post("/v1/accounts", #"{"id":"\#(id)","currency":"EUR"}"#)
                #expect(first.status == .created)
                let again = try await client.post("/v1/accounts", #"{"currency":"EUR","id":"\#(id)"}"#)
                #expect(again.status == .ok)
                #expect(again.bytes == first.bytes)
                let other = try await client.post("/v1/accounts", #"{"id":"\#(id)","currency":"GBP"}"#)
                #expect(other.status == .conflict)
                #expect(try other.problemCode() == "id_conflict")
                #expect(try await harness.count("accounts") == 1)
            }
        }
    }

    @Test("a server-made id is a UUIDv7")
    func serverID() async throws {
        try await LedgerHarness.with(label: "acct") { harness in
            try await harness.test { client in
                let id = try await client.createAccount()
                #expect(id.uuidString.lowercased().dropFirst(14).first == "7")
            }
        }
    }

    @Test("GET /v1/accounts filters by currency and code and pages with cursors")
    func list() async throws {
        try await LedgerHarness.with(label: "acct") { harness in
            try await harness.test { client in
                var usd: [UUID] = []
                for index in 0..<5 { usd.append(try await client.createAccount(currency: "USD", code: "usd:\(index)")) }
                _ = try await client.createAccount(currency: "EUR", code: "eur:0")

                let all = try await client.get("/v1/accounts").json()
                #expect(all["items"].array.count == 6)
                #expect(all["next_cursor"].isNull)

                var seen: [String] = []
                var cursor: String?
                repeat {
                    let page = try await client.get("/v1/accounts?currency=USD&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")).json()
                    #expect(page["items"].array.count <= 2)
                    seen += page["items"].array.map { $0["id"].string }
                    cursor = page["next_cursor"].isNull ? nil : page["next_cursor"].string
                } while cursor != nil && seen.count < 20
                #expect(seen == usd.map { $0.uuidString.lowercased() }.sorted())

                let byCode = try await client.get("/v1/accounts?code=eur:0").json()
                #expect(byCode["items"].array.count == 1)
                #expect(byCode["items"][0]["currency"].string == "EUR")
                let none = try await client.get("/v1/accounts?code=nobody").json()
                #expect(none["items"].array.isEmpty)
            }
        }
    }

    @Test("GET of an unknown account is account_not_found")
    func unknown() async throws {
        try await LedgerHarness.with(label: "acct") { harness in
            try await harness.test { client in
                let id = UUID()
                for path in ["/v1/accounts/\(id)", "/v1/accounts/\(id)/entries", "/v1/accounts/\(id)/balance", "/v1/accounts/\(id)/balance?as_of=2024-01-01T00:00:00Z"] {
                    let response = try await client.get(path)
                    #expect(response.status == .notFound, "\(path)")
                    #expect(try response.problemCode() == "account_not_found")
                }
            }
        }
    }

    @Test("entries honour from and to")
    func entriesWindow() async throws {
        try await LedgerHarness.with(label: "acct") { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                try await client.transfer(from: a, to: b, amount: 5)
                let middle = Date()
                try await Task.sleep(for: .milliseconds(20))
                try await client.transfer(from: a, to: b, amount: 7)
                let stamp = RFC3339.format(middle)
                let after = try await client.get("/v1/accounts/\(b)/entries?from=\(stamp)").json()
                #expect(after["items"].array.map { $0["amount"].int } == [7])
                let before = try await client.get("/v1/accounts/\(b)/entries?to=\(stamp)").json()
                #expect(before["items"].array.map { $0["amount"].int } == [5])
                #expect(before["items"][0]["balance_after"].int == 5)
                let empty = try await client.get("/v1/accounts/\(b)/entries?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z")
                #expect(empty.status == .ok)
                #expect(try empty.json()["items"].array.isEmpty)
            }
        }
    }
}
