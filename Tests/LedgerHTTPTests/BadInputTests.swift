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

/// PRODUCT.md §2: every malformed request gets a 4xx problem and writes nothing.
@Suite("malformed requests are refused with a problem and write nothing")
struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var path: String
        var body: [UInt8]
        var status: HTTPResponse.Status = .badRequest
        var code = "validation_failed"
        var field: String?

        var description: String { name }
    }

    /// Bodies use the placeholders DEBIT and CREDIT for two funded USD accounts.
    static func transfer(_ amount: String, extra: String = "") -> [UInt8] {
        Array(#"{"debit_account_id":"DEBIT","credit_account_id":"CREDIT","amount":\#(amount),"currency":"USD"\#(extra)}"#.utf8)
    }

    static let cases: [Case] = [
        Case(name: "malformed JSON", path: "/v1/transfers", body: Array(#"{"amount": 1"#.utf8)),
        Case(name: "trailing garbage", path: "/v1/transfers", body: transfer("1") + Array("x".utf8)),
        Case(name: "duplicate key", path: "/v1/transfers", body: Array(#"{"amount":1,"amount":2}"#.utf8)),
        Case(name: "empty body", path: "/v1/transfers", body: []),
        Case(name: "body is an array", path: "/v1/transfers", body: Array("[]".utf8)),
        Case(name: "amount 1.0", path: "/v1/transfers", body: transfer("1.0"), field: "amount"),
        Case(name: "amount 1e2", path: "/v1/transfers", body: transfer("1e2"), field: "amount"),
        Case(name: "amount as string", path: "/v1/transfers", body: transfer(#""10""#), field: "amount"),
        Case(name: "amount 0", path: "/v1/transfers", body: transfer("0"), field: "amount"),
        Case(name: "amount -5", path: "/v1/transfers", body: transfer("-5"), field: "amount"),
        Case(name: "amount 2^63", path: "/v1/transfers", body: transfer("9223372036854775808"), field: "amount"),
        Case(name: "amount huge", path: "/v1/transfers", body: transfer(String(repeating: "9", count: 200)), field: "amount"),
        Case(name: "amount null", path: "/v1/transfers", body: transfer("null"), field: "amount"),
        Case(name: "unknown field", path: "/v1/transfers", body: transfer("1", extra: #","colour":"red""#), field: "colour"),
        Case(name: "pending as string", path: "/v1/transfers", body: transfer("1", extra: #","pending":"yes""#), field: "pending"),
        Case(name: "timeout 0", path: "/v1/transfers", body: transfer("1", extra: #","pending":true,"timeout_seconds":0"#), field: "timeout_seconds"),
        Case(name: "metadata not an object", path: "/v1/transfers", body: transfer("1", extra: #","metadata":[1]"#), field: "metadata"),
        Case(
            name: "metadata over 4 KiB", path: "/v1/transfers",
            body: transfer("1", extra: #","metadata":{"k":"\#(String(repeating: "x", count: 4_100))"}"#), field: "metadata"
        ),
        Case(
            name: "description over 512 characters", path: "/v1/transfers",
            body: transfer("1", extra: #","description":"\#(String(repeating: "é", count: 513))""#), field: "description"
        ),
        Case(name: "description with NUL", path: "/v1/transfers", body: transfer("1", extra: #","description":"a\u0000b""#), field: "description"),
        Case(
            name: "bad UUID in body", path: "/v1/transfers",
            body: Array(#"{"debit_account_id":"nope","credit_account_id":"CREDIT","amount":1,"currency":"USD"}"#.utf8),
            field: "debit_account_id"
        ),
        Case(
            name: "UUID without hyphens", path: "/v1/transfers",
            body: transfer("1", extra: #","id":"0190f1b2000070008000000000000000""#), field: "id"
        ),
        Case(name: "bad currency", path: "/v1/transfers", body: Array(transfer("1")).replacing(Array("USD".utf8), with: Array("usd".utf8)), field: "currency"),
        Case(name: "bad UTF-8 in a string", path: "/v1/transfers", body: transfer("1", extra: #","description":""#) + [0xC3, 0x28] + Array("\"".utf8) + Array("}".utf8)),
        Case(name: "bad UTF-8 outside strings", path: "/v1/transfers", body: [0xFF, 0xFE] + transfer("1")),
        Case(name: "nesting too deep", path: "/v1/transfers", body: transfer("1", extra: #","metadata":\#(String(repeating: "{\"a\":", count: 40))1\#(String(repeating: "}", count: 40))"#)),
        Case(name: "account with unknown flag", path: "/v1/accounts", body: Array(#"{"currency":"USD","flags":{"overdraft":true}}"#.utf8), field: "flags.overdraft"),
        Case(name: "account flags wrong type", path: "/v1/accounts", body: Array(#"{"currency":"USD","flags":3}"#.utf8), field: "flags"),
        Case(name: "account code too long", path: "/v1/accounts", body: Array(#"{"currency":"USD","code":"\#(String(repeating: "a", count: 129))"}"#.utf8), field: "code"),
        Case(name: "account without currency", path: "/v1/accounts", body: Array(#"{"code":"x"}"#.utf8), field: "currency"),
        Case(name: "batch with bad item", path: "/v1/transfers/batch", body: Array(#"{"transfers":["#.utf8) + transfer("1") + Array(",".utf8) + transfer("1.5") + Array("]}".utf8), field: "transfers.1.amount"),
        Case(name: "empty batch", path: "/v1/transfers/batch", body: Array(#"{"transfers":[]}"#.utf8), field: "transfers"),
        Case(name: "batch atomic as number", path: "/v1/transfers/batch", body: Array(#"{"transfers":[],"atomic":1}"#.utf8)),
        Case(name: "post with bad amount", path: "/v1/transfers/PENDING/post", body: Array(#"{"amount":-1}"#.utf8), field: "amount"),
        Case(name: "post with unknown field", path: "/v1/transfers/PENDING/post", body: Array(#"{"amount":1,"x":1}"#.utf8), field: "x"),
        Case(name: "void with a body", path: "/v1/transfers/PENDING/void", body: Array(#"{"reason":"x"}"#.utf8), field: "reason"),
        Case(name: "bad UUID in path", path: "/v1/transfers/not-a-uuid/post", body: [], field: "id"),
        Case(name: "bad UUID in path of void", path: "/v1/transfers/%00%ff/void", body: [], field: "id"),
        Case(name: "2 MiB body", path: "/v1/transfers", body: transfer("1", extra: #","description":"\#(String(repeating: "a", count: 2 << 20))""#), status: .contentTooLarge, code: "payload_too_large"),
    ]

    /// One database for the whole table: each case is checked against the counts and balances
    /// just before it, so the cases stay independent without a database each.
    @Test("bad bodies and path ids")
    func refused() async throws {
        try await LedgerHarness.with(label: "bad") { harness in
            try await harness.test { client in
                let source = try await client.createAccount()
                let debit = try await client.createAccount()
                let credit = try await client.createAccount()
                try await client.transfer(from: source, to: debit, amount: 500)
                let pending = try await client.transfer(from: debit, to: credit, amount: 50, extra: #","pending":true"#)
                let substitutions = [("DEBIT", debit), ("CREDIT", credit), ("PENDING", pending)]

                for testCase in Self.cases {
                    let before = try await harness.ledgerCounts()
                    let balancesBefore = [try await client.balances(debit), try await client.balances(credit)].map { "\($0)" }
                    var body = testCase.body
                    var path = testCase.path
                    for (placeholder, id) in substitutions {
                        body = body.replacing(Array(placeholder.utf8), with: Array(id.uuidString.utf8))
                        path = path.replacingOccurrences(of: placeholder, with: id.uuidString)
                    }
                    let response = try await client.post(path, bytes: body)
                    #expect(response.status == testCase.status, "\(testCase): \(response.text.prefix(300))")
                    let problem = try response.json()
                    #expect(response.headers[.contentType] == "application/problem+json", "\(testCase)")
                    #expect(problem["code"].string == testCase.code, "\(testCase)")
                    #expect(problem["status"].int == Int64(testCase.status.code), "\(testCase)")
                    #expect(problem["type"].string == "urn:ledger:problem:\(testCase.code)", "\(testCase)")
                    if let field = testCase.field {
                        #expect(problem["field"] == .string(field), "\(testCase): \(response.text.prefix(300))")
                    }

                    var after = try await harness.ledgerCounts()
                    // A refused request with an Idempotency-Key stores its 4xx (replayed like any
                    // answer); a 413 is refused before the body is read, so nothing is stored.
                    if testCase.status != .contentTooLarge { after["idempotency_keys"]! -= 1 }
                    #expect(after == before, "\(testCase)")
                    let balancesAfter = [try await client.balances(debit), try await client.balances(credit)].map { "\($0)" }
                    #expect(balancesAfter == balancesBefore, "\(testCase)")
                }
            }
        }
    }

    static let badQueries: [(path: String, field: String)] = [
        ("/v1/accounts?limit=0", "limit"), ("/v1/accounts?limit=1001", "limit"), ("/v1/accounts?limit=-1", "limit"),
        ("/v1/accounts?limit=abc", "limit"), ("/v1/accounts?limit=10.5", "limit"), ("/v1/accounts?cursor=garbage!", "cursor"),
        ("/v1/accounts?cursor=ZTox", "cursor"), ("/v1/accounts?currency=usd", "currency"), ("/v1/accounts?code=a%20b", "code"),
        ("/v1/accounts?limit=1&limit=2", "limit"), ("/v1/accounts?colour=red", "colour"), ("/v1/accounts?code=%ff", "code"),
        ("/v1/accounts?code=%zz", "code"), ("/v1/accounts/ACCOUNT/balance?as_of=yesterday", "as_of"),
        ("/v1/accounts/ACCOUNT/balance?as_of=2024-02-30T00:00:00Z", "as_of"),
        ("/v1/accounts/ACCOUNT/entries?from=2024-01-01", "from"), ("/v1/accounts/ACCOUNT/entries?cursor=YTox", "cursor"),
        ("/v1/accounts/ACCOUNT/entries?from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z", "from"),
        ("/v1/accounts/not-a-uuid", "id"), ("/v1/accounts/not-a-uuid/entries", "id"), ("/v1/transfers/123", "id"),
    ]

    @Test("bad query parameters and path ids on reads")
    func badQuery() async throws {
        try await LedgerHarness.with(label: "bad") { harness in
            try await harness.test { client in
                let account = try await client.createAccount()
                for (path, field) in Self.badQueries {
                    let response = try await client.get(path.replacingOccurrences(of: "ACCOUNT", with: account.uuidString))
                    #expect(response.status == .badRequest, "\(path): \(response.text)")
                    #expect(try response.problemCode() == "validation_failed", "\(path)")
                    #expect(try response.json()["field"] == .string(field), "\(path): \(response.text)")
                }
            }
        }
    }

    @Test("a declared Content-Length above the limit is refused before the body is read")
    func declaredLength() async throws {
        try await LedgerHarness.with(label: "bad") { harness in
            try await harness.test { client in
                var headers = HTTPFields()
                headers[.contentLength] = String(5 << 20)
                let response = try await client.executeRequest(uri: "/v1/accounts", method: .post, headers: headers, body: nil)
                #expect(response.status == .contentTooLarge)
                #expect(try response.problemCode() == "payload_too_large")
            }
        }
    }

    @Test("the batch route takes bodies above the general limit, up to its own")
    func batchLimit() async throws {
        try await LedgerHarness.with(label: "bad", configure: { $0.requestBodyBytesMax = 2_048; $0.batchBodyBytesMax = 8_192 }) { harness in
            try await harness.test { client in
                let a = try await client.createAccount()
                let b = try await client.createAccount()
                let item = #"{"debit_account_id":"\#(a)","credit_account_id":"\#(b)","amount":1,"currency":"USD"}"#
                let body = #"{"transfers":[\#(Array(repeating: item, count: 30).joined(separator: ","))]}"#
                #expect(body.utf8.count > 2_048 && body.utf8.count < 8_192)
                #expect(try await client.post("/v1/transfers/batch", body).status == .ok)
                let single = try await client.post("/v1/transfers", #"{"currency":"USD","description":"\#(String(repeating: "a", count: 2_100))"}"#)
                #expect(single.status == .contentTooLarge)
            }
        }
    }
}
