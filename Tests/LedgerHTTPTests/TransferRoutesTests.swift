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

@Suite("transfer routes")
struct TransferRoutesTests {
    @Test("POST /v1/transfers creates a posted transfer; the same again is 200; GET returns it")
    func createAndGet() async throws {
        try await LedgerHarness.with(label: "xfer") { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let id = UUID()
                let body = #"{"id":"\#(id)","debit_account_id":"\#(a)","credit_account_id":"\#(b)","amount":9223372036854775807,"currency":"USD","description":"max","metadata":{"order":"o-1"}}"#
                let created = try await client.post("/v1/transfers", body)
                #expect(created.status == .created, "\(created.text)")
                let json = try created.json()
                #expect(json["amount"].int == Int64.max)
                #expect(json["status"].string == "posted")
                #expect(json["posted_amount"].int == Int64.max)
                #expect(json["pending"] == .bool(false))
                #expect(json["metadata"].canonicalText == #"{"order":"o-1"}"#)
                #expect(json["sequence"].int > 0)

                let again = try await client.post("/v1/transfers", body)
                #expect(again.status == .ok)
                #expect(again.bytes == created.bytes)
                #expect(try await harness.count("transfers") == 1)

                let fetched = try await client.get("/v1/transfers/\(id)")
                #expect(fetched.status == .ok)
                #expect(fetched.bytes == created.bytes)

                // Two maximal transfers push balances past Int64: still exact JSON integers.
                try await client.transfer(from: a, to: b, amount: Int64.max)
                let balance = try await client.get("/v1/accounts/\(b)").json()
                #expect(balance["credits_posted"] == .number("18446744073709551614"))
                #expect(balance["posted"] == .number("18446744073709551614"))
                let debit = try await client.get("/v1/accounts/\(a)").json()
                #expect(debit["posted"] == .number("-18446744073709551614"))
            }
        }
    }

    @Test("a pending transfer holds funds; posting part of it moves that part and releases the rest")
    func postPartially() async throws {
        try await LedgerHarness.with(label: "xfer") { harness in
            try await harness.test { client in
                let source = try await client.createAccount()
                let wallet = try await client.createAccount(flags: #"{"debits_must_not_exceed_credits":true}"#)
                let shop = try await client.createAccount()
                try await client.transfer(from: source, to: wallet, amount: 1_000)
                let hold = try await client.transfer(from: wallet, to: shop, amount: 600, extra: #","pending":true,"timeout_seconds":3600"#)
                let held = try await client.balances(wallet)
                #expect(held.posted == 1_000 && held.available == 400 && held.debitsPending == 600)

                let posted = try await client.post("/v1/transfers/\(hold)/post", #"{"amount":250}"#)
                #expect(posted.status == .ok, "\(posted.text)")
                let json = try posted.json()
                #expect(json["status"].string == "posted")
                #expect(json["posted_amount"].int == 250)
                #expect(!json["resolved_at"].isNull)
                let after = try await client.balances(wallet)
                #expect(after.posted == 750 && after.available == 750 && after.debitsPending == 0)
                #expect(try await client.balances(shop).posted == 250)

                let twice = try await client.post("/v1/transfers/\(hold)/post", "")
                #expect(twice.status == .conflict)
                #expect(try twice.problemCode() == "transfer_not_pending")
            }
        }
    }

    @Test("posting without a body posts the whole hold")
    func postWhole() async throws {
        try await LedgerHarness.with(label: "xfer") { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let hold = try await client.transfer(from: a, to: b, amount: 80, extra: #","pending":true"#)
                let posted = try await client.post("/v1/transfers/\(hold)/post", "")
                #expect(posted.status == .ok, "\(posted.text)")
                #expect(try posted.json()["posted_amount"].int == 80)
                let empty = try await client.transfer(from: a, to: b, amount: 5, extra: #","pending":true"#)
                #expect(try await client.post("/v1/transfers/\(empty)/post", "{}").status == .ok)
                #expect(try await client.balances(b).posted == 85)
            }
        }
    }

    @Test("voiding releases the hold")
    func void() async throws {
        try await LedgerHarness.with(label: "xfer") { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let hold = try await client.transfer(from: a, to: b, amount: 70, extra: #","pending":true"#)
                #expect(try await client.balances(a).debitsPending == 70)
                let voided = try await client.post("/v1/transfers/\(hold)/void", "")
                #expect(voided.status == .ok, "\(voided.text)")
                #expect(try voided.json()["status"].string == "voided")
                #expect(try voided.json()["posted_amount"].int == 0)
                let after = try await client.balances(a)
                #expect(after.debitsPending == 0 && after.posted == 0)
                #expect(try await client.balances(b).creditsPending == 0)
                #expect(try await harness.count("entries") == 0)
            }
        }
    }

    @Test("a hold past its timeout cannot be posted, and the sweeper expires it and releases the funds")
    func expiry() async throws {
        try await LedgerHarness.with(label: "xfer") { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let hold = try await client.transfer(from: a, to: b, amount: 40, extra: #","pending":true,"timeout_seconds":1"#)
                #expect(try await client.balances(a).debitsPending == 40)
                try await Task.sleep(for: .milliseconds(1_300))

                let late = try await client.post("/v1/transfers/\(hold)/post", "")
                #expect(late.status == .conflict)
                #expect(try late.problemCode() == "pending_expired")
                let lateVoid = try await client.post("/v1/transfers/\(hold)/void", "")
                #expect(try lateVoid.problemCode() == "pending_expired")

                let sweeper = ExpirySweeper(reader: harness.reader, committer: harness.committer, logger: harness.logger)
                #expect(try await sweeper.sweep() == 1)
                let expired = try await client.get("/v1/transfers/\(hold)").json()
                #expect(expired["status"].string == "expired")
                #expect(expired["posted_amount"].int == 0)
                let after = try await client.balances(a)
                #expect(after.debitsPending == 0 && after.available == 0)
                #expect(try await client.balances(b).creditsPending == 0)
            }
        }
    }

    @Test("an atomic batch applies every transfer or none")
    func atomicBatch() async throws {
        try await LedgerHarness.with(label: "xfer") { harness in
            try await harness.test { client in
                let source = try await client.createAccount()
                let wallet = try await client.createAccount(flags: #"{"debits_must_not_exceed_credits":true}"#)
                let shop = try await client.createAccount()
                func item(_ debit: UUID, _ credit: UUID, _ amount: Int) -> String {
                    #"{"debit_account_id":"\#(debit)","credit_account_id":"\#(credit)","amount":\#(amount),"currency":"USD"}"#
                }
                let good = try await client.post(
                    "/v1/transfers/batch", #"{"atomic":true,"transfers":[\#(item(source, wallet, 100)),\#(item(wallet, shop, 60))]}"#
                )
                #expect(good.status == .created, "\(good.text)")
                let results = try good.json()["results"].array
                #expect(results.map { $0["status"].int } == [201, 201])
                #expect(results[1]["transfer"]["amount"].int == 60)

                let before = try await harness.ledgerCounts()
                let bad = try await client.post(
                    "/v1/transfers/batch", #"{"atomic":true,"transfers":[\#(item(wallet, shop, 10)),\#(item(wallet, shop, 1000)),\#(item(source, shop, 1))]}"#
                )
                #expect(bad.status == .unprocessableContent, "\(bad.text)")
                let problem = try bad.json()
                #expect(problem["code"].string == "insufficient_funds")
                #expect(problem["field"].string == "transfers.1.amount")
                #expect(problem["results"].array.map { $0["problem"]["code"].string } == ["batch_item_failed", "insufficient_funds", "batch_item_failed"])
                var after = try await harness.ledgerCounts()
                after["idempotency_keys"]! -= 1
                #expect(after == before)
                #expect(try await client.balances(wallet).posted == 40)
            }
        }
    }

    @Test("a non-atomic batch answers one result per item")
    func independentBatch() async throws {
        try await LedgerHarness.with(label: "xfer") { harness in
            try await harness.test { client in
                let source = try await client.createAccount()
                let wallet = try await client.createAccount(flags: #"{"debits_must_not_exceed_credits":true}"#)
                let euro = try await client.createAccount(currency: "EUR")
                let existing = try await client.transfer(from: source, to: wallet, amount: 5)
                let items = [
                    #"{"debit_account_id":"\#(source)","credit_account_id":"\#(wallet)","amount":100,"currency":"USD"}"#,
                    #"{"debit_account_id":"\#(wallet)","credit_account_id":"\#(source)","amount":1000,"currency":"USD"}"#,
                    #"{"debit_account_id":"\#(source)","credit_account_id":"\#(euro)","amount":1,"currency":"USD"}"#,
                    #"{"id":"\#(existing)","debit_account_id":"\#(source)","credit_account_id":"\#(wallet)","amount":5,"currency":"USD"}"#,
                    #"{"debit_account_id":"\#(source)","credit_account_id":"\#(UUID())","amount":1,"currency":"USD"}"#,
                ]
                let response = try await client.post("/v1/transfers/batch", #"{"transfers":[\#(items.joined(separator: ","))]}"#)
                #expect(response.status == .ok, "\(response.text)")
                let results = try response.json()["results"].array
                #expect(results.map { $0["status"].int } == [201, 422, 422, 200, 404])
                #expect(results[1]["problem"]["code"].string == "insufficient_funds")
                #expect(results[1]["problem"]["field"].string == "transfers.1.amount")
                #expect(results[2]["problem"]["code"].string == "currency_mismatch")
                #expect(results[4]["problem"]["code"].string == "account_not_found")
                #expect(try await client.balances(wallet).posted == 105)
            }
        }
    }

    @Test("a batch of 8,190 transfers is accepted; 8,191 is refused")
    func batchLimit() async throws {
        try await LedgerHarness.with(label: "xfer") { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let item = #"{"debit_account_id":"\#(a)","credit_account_id":"\#(b)","amount":1,"currency":"USD"}"#
                let tooMany = try await client.post(
                    "/v1/transfers/batch", #"{"transfers":[\#(Array(repeating: item, count: 8_191).joined(separator: ","))]}"#
                )
                #expect(tooMany.status == .badRequest)
                #expect(try tooMany.json()["field"].string == "transfers")
                let full = try await client.post(
                    "/v1/transfers/batch", #"{"atomic":true,"transfers":[\#(Array(repeating: item, count: 8_190).joined(separator: ","))]}"#
                )
                #expect(full.status == .created)
                #expect(try await client.balances(b).posted == 8_190)
            }
        }
    }
}
