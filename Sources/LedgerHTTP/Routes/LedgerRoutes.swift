import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerStore
import Logging
import NIOCore

/// The /v1 API (PRODUCT.md §2). Writes go through the committer, reads through the reader;
/// this type runs no SQL and holds no state.
struct LedgerRoutes: Sendable {
    let reader: LedgerReader
    let writes: WriteExecutor
    let pageItemsDefault: Int

    // MARK: - Accounts

    func createAccount(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        var context = context
        let body = context.body()
        return try await writes.run(context: context) { () throws(Problem) in
            let account = try NewAccount(json: Self.requireJSON(body))
            return ([.createAccount(account)], false, ResponseRenderer.account)
        }
    }

    func getAccount(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        _ = try QueryParameters(request.uri.query, allowed: [])
        let id = try Self.pathUUID(context)
        guard let account = try await reader.account(id: id) else { throw Self.accountNotFound(id) }
        var writer = JSONWriter()
        writer.account(account)
        return Self.json(writer)
    }

    func listAccounts(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        let query = try QueryParameters(request.uri.query, allowed: ["limit", "cursor", "currency", "code"])
        let limit = try query.limit(default: pageItemsDefault)
        var currency: Currency?
        if let text = query.string("currency") {
            guard let parsed = Currency(text) else {
                throw Problem.invalid("currency must match ^[A-Z][A-Z0-9]{2,11}$", field: "currency")
            }
            currency = parsed
        }
        let code = query.string("code")
        if let code, let error = Validation.accountCode(code) { throw Problem(readError: error) }
        let page = try await reader.accounts(currency: currency, code: code, after: query.string("cursor"), limit: limit)
        var writer = JSONWriter(capacity: 64 + page.items.count * 400)
        writer.page(page) { $0.account($1) }
        return Self.json(writer)
    }

    func listEntries(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        let query = try QueryParameters(request.uri.query, allowed: ["from", "to", "limit", "cursor"])
        let id = try Self.pathUUID(context)
        let limit = try query.limit(default: pageItemsDefault)
        let from = try query.timestamp("from")
        let to = try query.timestamp("to")
        if let from, let to, from > to { throw Problem.invalid("from must not be after to", field: "from") }
        let page = try await reader.entries(accountID: id, from: from, to: to, after: query.string("cursor"), limit: limit)
        // An empty page may mean there is no such account; only then is it worth asking.
        if page.items.isEmpty, try await reader.account(id: id) == nil { throw Self.accountNotFound(id) }
        var writer = JSONWriter(capacity: 64 + page.items.count * 330)
        writer.page(page) { $0.entry($1) }
        return Self.json(writer)
    }

    func getBalance(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        let query = try QueryParameters(request.uri.query, allowed: ["as_of"])
        let id = try Self.pathUUID(context)
        var writer = JSONWriter()
        if let asOf = try query.timestamp("as_of") {
            guard let balances = try await reader.balances(accountID: id, asOf: asOf) else { throw Self.accountNotFound(id) }
            writer.balance(accountID: id, asOf: asOf, balances)
        } else {
            guard let account = try await reader.account(id: id) else { throw Self.accountNotFound(id) }
            writer.balance(accountID: id, asOf: Date(), account.balances)
        }
        return Self.json(writer)
    }

    // MARK: - Transfers

    func createTransfer(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        var context = context
        let body = context.body()
        return try await writes.run(context: context) { () throws(Problem) in
            let transfer = try NewTransfer(json: Self.requireJSON(body))
            return ([.createTransfer(transfer)], false, ResponseRenderer.createdTransfer)
        }
    }

    func createBatch(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        var context = context
        let body = context.body()
        return try await writes.run(context: context) { () throws(Problem) in
            let batch = try BatchRequestBody(json: Self.requireJSON(body))
            let render: WriteExecutor.Render = batch.atomic ? ResponseRenderer.atomicBatch : ResponseRenderer.independentBatch
            return (batch.transfers.map { .createTransfer($0) }, batch.atomic, render)
        }
    }

    func getTransfer(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        _ = try QueryParameters(request.uri.query, allowed: [])
        let id = try Self.pathUUID(context)
        guard let transfer = try await reader.transfer(id: id) else {
            throw Problem(status: .notFound, code: LedgerError.Code.transferNotFound.rawValue, detail: "transfer \(Self.text(id)) does not exist", field: "id")
        }
        var writer = JSONWriter()
        writer.transfer(transfer)
        return Self.json(writer)
    }

    func postPending(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        var context = context
        let body = context.body()
        let id = context.parameters.get("id")
        return try await writes.run(context: context) { () throws(Problem) in
            let transferID = try Self.uuid(fromPath: id)
            let amount = try PostPendingBody(body).amount
            return ([.postPending(id: transferID, amount: amount)], false, ResponseRenderer.resolvedTransfer)
        }
    }

    func voidPending(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        var context = context
        let body = context.body()
        let id = context.parameters.get("id")
        return try await writes.run(context: context) { () throws(Problem) in
            let transferID = try Self.uuid(fromPath: id)
            switch body {
            case .empty:
                break
            case .malformed(let error):
                throw Problem.invalid("the body is not valid JSON: \(error)")
            case .json(let value):
                try JSONObjectReader(value).finish()
            }
            return ([.voidPending(id: transferID)], false, ResponseRenderer.resolvedTransfer)
        }
    }

    // MARK: - Helpers

    static func requireJSON(_ body: ParsedBody) throws(Problem) -> JSONValue {
        switch body {
        case .empty: throw Problem.invalid("the request body is empty; a JSON object is required")
        case .malformed(let error): throw Problem.invalid("the body is not valid JSON: \(error)")
        case .json(let value): return value
        }
    }

    static func pathUUID(_ context: LedgerRequestContext) throws(Problem) -> UUID {
        try uuid(fromPath: context.parameters.get("id"))
    }

    static func uuid(fromPath text: String?) throws(Problem) -> UUID {
        guard let text, let id = JSONObjectReader.parseUUID(text) else {
            throw Problem.invalid("the id in the path must be a UUID", field: "id")
        }
        return id
    }

    static func accountNotFound(_ id: UUID) -> Problem {
        Problem(status: .notFound, code: LedgerError.Code.accountNotFound.rawValue, detail: "account \(text(id)) does not exist", field: "id")
    }

    static func text(_ id: UUID) -> String { id.lowercasedString }

    static func json(_ writer: JSONWriter, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}
