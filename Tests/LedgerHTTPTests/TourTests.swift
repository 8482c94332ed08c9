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

@Suite("the API tour")
struct TourTests {
    @Test("open accounts, fund one, move money, read balances and paginated history with running balances")
    func tour() async throws {
        try await LedgerHarness.with(label: "tour") { harness in
            try await harness.test { client in
                let source = try await client.createAccount(code: "bank:funding")
                let alice = try await client.createAccount(code: "wallet:alice", flags: #"{"debits_must_not_exceed_credits":true}"#)
                let bob = try await client.createAccount(code: "wallet:bob", flags: #"{"debits_must_not_exceed_credits":true}"#)

                try await client.transfer(from: source, to: alice, amount: 10_000)
                for amount: Int64 in [100, 250, 400] {
                    try await client.transfer(from: alice, to: bob, amount: amount, extra: #","description":"rent share""#)
                }

                let (alicePosted, aliceAvailable, _, _) = try await client.balances(alice)
                #expect(alicePosted == 10_000 - 750)
                #expect(aliceAvailable == 10_000 - 750)
                #expect(try await client.balances(bob).posted == 750)
                #expect(try await client.balances(source).posted == -10_000)

                // Alice's history, two entries a page: running balances after each entry.
                var runningBalances: [Int64] = []
                var amounts: [Int64] = []
                var cursor: String?
                var pages = 0
                repeat {
                    let query = "limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let response = try await client.get("/v1/accounts/\(alice)/entries?\(query)")
                    #expect(response.status == .ok, "\(response.text)")
                    let page = try response.json()
                    for entry in page["items"].array {
                        #expect(entry["account_id"].string == alice.uuidString.lowercased())
                        #expect(entry["hash"].string.count == 64)
                        runningBalances.append(entry["balance_after"].int)
                        amounts.append(entry["amount"].int * (entry["direction"].string == "credit" ? 1 : -1))
                    }
                    cursor = page["next_cursor"].isNull ? nil : page["next_cursor"].string
                    pages += 1
                } while cursor != nil && pages < 10
                #expect(pages == 2)
                #expect(amounts == [10_000, -100, -250, -400])
                #expect(runningBalances == [10_000, 9_900, 9_650, 9_250])

                // Accounts, two a page, filtered by currency.
                var ids: [String] = []
                cursor = nil
                pages = 0
                repeat {
                    let query = "currency=USD&limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let page = try await client.get("/v1/accounts?\(query)").json()
                    ids += page["items"].array.map { $0["id"].string }
                    cursor = page["next_cursor"].isNull ? nil : page["next_cursor"].string
                    pages += 1
                } while cursor != nil && pages < 10
                #expect(Set(ids) == Set([source, alice, bob].map { $0.uuidString.lowercased() }))
                #expect(ids.count == 3)
                #expect(pages == 2)

                let byCode = try await client.get("/v1/accounts?code=wallet:bob").json()
                #expect(byCode["items"].array.map { $0["id"].string } == [bob.uuidString.lowercased()])

                // Balance at an instant before everything is zero; now it is the live balance.
                let before = try await client.get("/v1/accounts/\(alice)/balance?as_of=2000-01-01T00:00:00Z").json()
                #expect(before["posted"].int == 0)
                let now = try await client.get("/v1/accounts/\(alice)/balance").json()
                #expect(now["posted"].int == 9_250)
                let later = RFC3339.format(Date().addingTimeInterval(60))
                let asOf = try await client.get("/v1/accounts/\(alice)/balance?as_of=\(later)").json()
                #expect(asOf["posted"].int == 9_250)
                #expect(asOf["credits_posted"].int == 10_000)
                #expect(asOf["debits_posted"].int == 750)
            }
        }
    }
}
