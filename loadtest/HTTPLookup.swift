import Foundation
import LedgerCore

/// Reads transfers and balances back through the HTTP API, one GET each, a bounded number at once.
struct HTTPLookup: TransferLookup, BalanceLookup {
    let client: LedgerClient
    let concurrency: Int

    var method: String { "http" }

    func lookUp(ids: [UUID], accounts: [UUID]) async throws -> TransferLookupResult {
        let results = try await concurrentlyMap(ids, limit: self.concurrency) { id -> ObservedTransfer? in
            let answer = try await self.get("/v1/transfers/\(id.lowercasedString)", serial: 0)
            switch answer.status {
            case 200:
                guard let transfer = ResponseParser.transfer(answer.body) else {
                    throw LookupFailure(description: "GET /v1/transfers/\(id.lowercasedString): unreadable answer")
                }
                return transfer
            case 404:
                return nil
            default:
                throw LookupFailure(description: "GET /v1/transfers/\(id.lowercasedString): HTTP \(answer.status) \(answer.problemCode ?? "")")
            }
        }
        var found: [UUID: ObservedTransfer] = [:]
        for case let transfer? in results {
            found[transfer.id] = transfer
        }
        return TransferLookupResult(found: found, others: nil, duplicated: [])
    }

    func balances(accounts: [UUID]) async throws -> [UUID: ResponseParser.AccountBalances] {
        let results = try await concurrentlyMap(accounts, limit: self.concurrency) { id -> (UUID, ResponseParser.AccountBalances) in
            let answer = try await self.get("/v1/accounts/\(id.lowercasedString)", serial: 0)
            guard answer.status == 200, let balances = ResponseParser.accountBalances(answer.body) else {
                throw LookupFailure(description: "GET /v1/accounts/\(id.lowercasedString): HTTP \(answer.status) \(answer.problemCode ?? "unreadable")")
            }
            return (id, balances)
        }
        return Dictionary(results, uniquingKeysWith: { first, _ in first })
    }

    private func get(_ path: String, serial: Int) async throws -> HTTPAnswer {
        let request = PlannedRequest(serial: serial, method: .get, path: path, body: nil, idempotencyKey: nil, urlIndex: 0, role: .readAccount(UUID()))
        let exchange = await self.client.send(request, retries: max(self.client.retriesMax, LedgerClient.supportRetriesMin))
        switch exchange.final {
        case .answered(let answer): return answer
        case .failed(let kind): throw LookupFailure(description: "GET \(path): \(kind) after \(exchange.attempts) attempts")
        }
    }
}
