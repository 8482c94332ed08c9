import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LedgerHTTP
import NIOCore
import Testing

extension TestClientProtocol {
    /// A POST with a JSON body and, unless told otherwise, a fresh Idempotency-Key.
    @discardableResult
    func post(
        _ path: String, _ body: String, key: String? = UUID().uuidString, headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        try await post(path, bytes: Array(body.utf8), key: key, headers: headers)
    }

    @discardableResult
    func post(_ path: String, bytes: [UInt8], key: String? = UUID().uuidString, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        if let key { headers[IdempotencyKey.headerName] = key }
        headers[.contentType] = "application/json"
        return try await executeRequest(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    func get(_ path: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await executeRequest(uri: path, method: .get, headers: headers, body: nil)
    }

    /// Opens an account and returns its id.
    func createAccount(currency: String = "USD", code: String? = nil, flags: String? = nil) async throws -> UUID {
        var fields = ["\"currency\":\"\(currency)\""]
        if let code { fields.append("\"code\":\"\(code)\"") }
        if let flags { fields.append("\"flags\":\(flags)") }
        let response = try await post("/v1/accounts", "{\(fields.joined(separator: ","))}")
        #expect(response.status == .created, "\(response.text)")
        return try #require(UUID(uuidString: try response.json()["id"].string))
    }

    /// Moves `amount` and returns the transfer id.
    @discardableResult
    func transfer(from debit: UUID, to credit: UUID, amount: Int64, currency: String = "USD", extra: String = "") async throws -> UUID {
        let response = try await post(
            "/v1/transfers",
            #"{"debit_account_id":"\#(debit)","credit_account_id":"\#(credit)","amount":\#(amount),"currency":"\#(currency)"\#(extra)}"#
        )
        #expect(response.status == .created, "\(response.text)")
        return try #require(UUID(uuidString: try response.json()["id"].string))
    }

    /// The account's balances as the API reports them.
    func balances(_ id: UUID) async throws -> (posted: Int64, available: Int64, debitsPending: Int64, creditsPending: Int64) {
        let response = try await get("/v1/accounts/\(id)")
        #expect(response.status == .ok, "\(response.text)")
        let json = try response.json()
        return (json["posted"].int, json["available"].int, json["debits_pending"].int, json["credits_pending"].int)
    }
}

extension TestResponse {
    var bytes: [UInt8] { Array(body.readableBytesView) }
    var text: String { String(decoding: bytes, as: UTF8.self) }

    func json() throws -> JSONValue {
        try JSONParser.parse(bytes)
    }

    /// The problem code of an error response; checks the content type on the way.
    func problemCode() throws -> String {
        #expect(headers[.contentType] == "application/problem+json", "\(text)")
        return try json()["code"].string
    }
}

/// Accessors that fail the test instead of returning optionals, so table tests stay short.
extension JSONValue {
    subscript(key: String) -> JSONValue {
        guard case .object(let members) = self, let member = members.first(where: { $0.key == key }) else { return .null }
        return member.value
    }

    subscript(index: Int) -> JSONValue {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return .null }
        return elements[index]
    }

    var string: String {
        if case .string(let text) = self { return text }
        Issue.record("expected a string, got \(self)")
        return ""
    }

    var int: Int64 {
        if case .number(let token) = self, let value = Int64(token) { return value }
        Issue.record("expected an integer, got \(self)")
        return 0
    }

    var array: [JSONValue] {
        if case .array(let elements) = self { return elements }
        Issue.record("expected an array, got \(self)")
        return []
    }

    var isNull: Bool { self == .null }
}
