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

/// Every problem code the HTTP layer owns, reached over HTTP, with its status (PRODUCT.md §2).
/// (unauthorized, forbidden and rate_limited belong to the access-control middleware.)
@Suite("every error code is reachable over HTTP with its status")
struct ErrorCodeTests {
    @Test("ledger rule failures")
    func ruleFailures() async throws {
        try await LedgerHarness.with(label: "codes") { harness in
            try await harness.test { client in
                let source = try await client.createAccount()
                let wallet = try await client.createAccount(flags: #"{"debits_must_not_exceed_credits":true}"#)
                let credit = try await client.createAccount(flags: #"{"credits_must_not_exceed_debits":true}"#)
                let euro = try await client.createAccount(currency: "EUR")
                try await client.transfer(from: source, to: wallet, amount: 100)
                let posted = try await client.transfer(from: source, to: wallet, amount: 1)
                let hold = try await client.transfer(from: source, to: wallet, amount: 10, extra: #","pending":true"#)

                func send(_ path: String, _ body: String) async throws -> (HTTPResponse.Status, String) {
                    let response = try await client.post(path, body)
                    return (response.status, try response.problemCode())
                }
                func transfer(_ debit: UUID, _ credit: UUID, _ amount: Int, _ currency: String = "USD", extra: String = "") -> String {
                    #"{"debit_account_id":"\#(debit)","credit_account_id":"\#(credit)","amount":\#(amount),"currency":"\#(currency)"\#(extra)}"#
                }

                let expectations: [(String, String, HTTPResponse.Status, String)] = [
                    ("/v1/accounts", #"{"currency":"USD","flags":{"debits_must_not_exceed_credits":true,"credits_must_not_exceed_debits":true}}"#, .unprocessableContent, "validation_failed"),
                    ("/v1/accounts", #"{"currency":"USD","code":"has space"}"#, .unprocessableContent, "validation_failed"),
                    ("/v1/transfers", transfer(source, wallet, 1, extra: #","timeout_seconds":5"#), .unprocessableContent, "validation_failed"),
                    ("/v1/transfers", transfer(source, UUID(), 1), .notFound, "account_not_found"),
                    ("/v1/transfers/\(UUID())/post", "", .notFound, "transfer_not_found"),
                    ("/v1/transfers/\(UUID())/void", "", .notFound, "transfer_not_found"),
                    ("/v1/transfers", transfer(source, euro, 1), .unprocessableContent, "currency_mismatch"),
                    ("/v1/transfers", transfer(source, source, 1), .unprocessableContent, "same_account"),
                    ("/v1/transfers", transfer(wallet, source, 1_000), .unprocessableContent, "insufficient_funds"),
                    ("/v1/transfers", transfer(source, credit, 1), .unprocessableContent, "limit_exceeded"),
                    ("/v1/transfers/\(posted)/void", "", .conflict, "transfer_not_pending"),
                    ("/v1/transfers/\(hold)/post", #"{"amount":11}"#, .unprocessableContent, "amount_exceeds_pending"),
                    ("/v1/transfers", #"{"id":"\#(posted)","debit_account_id":"\#(source)","credit_account_id":"\#(wallet)","amount":2,"currency":"USD"}"#, .conflict, "id_conflict"),
                    ("/v1/accounts", #"{"id":"\#(wallet)","currency":"USD"}"#, .conflict, "id_conflict"),
                    ("/v1/transfers/batch", #"{"atomic":true,"transfers":[\#(transfer(source, wallet, 1)),\#(transfer(source, source, 1))]}"#, .unprocessableContent, "same_account"),
                ]
                for (path, body, status, code) in expectations {
                    let (gotStatus, gotCode) = try await send(path, body)
                    #expect(gotStatus == status && gotCode == code, "\(path) \(body): got \(gotStatus) \(gotCode)")
                }

                let batch = try await client.post(
                    "/v1/transfers/batch", #"{"atomic":true,"transfers":[\#(transfer(source, wallet, 1)),\#(transfer(source, source, 1))]}"#
                )
                #expect(try batch.json()["results"][0]["problem"]["code"].string == "batch_item_failed")
                #expect(try batch.json()["results"][0]["status"].int == 422)

                let unknownTransfer = try await client.get("/v1/transfers/\(UUID())")
                #expect(unknownTransfer.status == .notFound)
                #expect(try unknownTransfer.problemCode() == "transfer_not_found")
            }
        }
    }

    @Test("pending_expired")
    func pendingExpired() async throws {
        try await LedgerHarness.with(label: "codes") { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let hold = try await client.transfer(from: a, to: b, amount: 3, extra: #","pending":true,"timeout_seconds":1"#)
                try await Task.sleep(for: .milliseconds(1_200))
                let response = try await client.post("/v1/transfers/\(hold)/post", "")
                #expect(response.status == .conflict)
                #expect(try response.problemCode() == "pending_expired")
            }
        }
    }

    @Test("request-level codes: missing and malformed keys, no route, too large")
    func requestLevel() async throws {
        try await LedgerHarness.with(label: "codes", configure: { $0.requestBodyBytesMax = 1_024 }) { harness in
            try await harness.test { client in
                let missing = try await client.post("/v1/accounts", #"{"currency":"USD"}"#, key: nil)
                #expect(missing.status == .badRequest)
                #expect(try missing.problemCode() == "idempotency_key_missing")
                let long = try await client.post("/v1/accounts", #"{"currency":"USD"}"#, key: String(repeating: "k", count: 256))
                #expect(long.status == .badRequest)
                #expect(try long.problemCode() == "validation_failed")
                #expect(try long.json()["field"].string == "Idempotency-Key")
                let unprintable = try await client.post("/v1/accounts", #"{"currency":"USD"}"#, key: "tab\there")
                #expect(unprintable.status == .badRequest)

                let noRoute = try await client.get("/v1/nothing")
                #expect(noRoute.status == .notFound)
                #expect(try noRoute.problemCode() == "not_found")
                let wrongMethod = try await client.executeRequest(uri: "/v1/accounts", method: .delete, headers: [:], body: nil)
                #expect(wrongMethod.status == .notFound)

                let large = try await client.post("/v1/accounts", String(repeating: " ", count: 2_000) + #"{"currency":"USD"}"#)
                #expect(large.status == .contentTooLarge)
                #expect(try large.problemCode() == "payload_too_large")
                #expect(try await harness.count("accounts") == 0)
            }
        }
    }

    @Test("unavailable: writes after the committer stopped, and reads with the database gone, are 503 with Retry-After")
    func unavailable() async throws {
        try await LedgerHarness.with(label: "codes") { harness in
            try await harness.test { client in
                let account = try await client.createAccount()
                await harness.committer.shutdown()
                let write = try await client.post("/v1/accounts", #"{"currency":"USD"}"#)
                #expect(write.status == .serviceUnavailable)
                #expect(try write.problemCode() == "unavailable")
                #expect(write.headers[.retryAfter] == "1")

                await harness.database.pool.close()
                let read = try await client.get("/v1/accounts/\(account)")
                #expect(read.status == .serviceUnavailable, "\(read.text)")
                #expect(try read.problemCode() == "unavailable")
                #expect(read.headers[.retryAfter] == "1")
            }
        }
    }

    @Test("an unexpected error is a 500 internal_error that leaks nothing")
    func internalError() {
        struct Secret: Error { var password = "hunter2" }
        let problem = Problem.from(Secret(), logger: .init(label: "test"))
        #expect(problem.status == .internalServerError)
        #expect(problem.code == "internal_error")
        #expect(!String(decoding: problem.body, as: UTF8.self).contains("hunter2"))
        #expect(!String(decoding: problem.body, as: UTF8.self).contains("Secret"))
    }
}
