import Foundation
import LedgerCore

/// The set-up phase: creates the run's accounts and funds each flagged one from the source, so
/// that accounts which must not go below zero have credit to spend.
struct AccountSetup: Sendable {
    struct Result: Sendable, Codable {
        var accounts: Int
        var fundingMode: String
        var fundingTransfers: Int
        var seconds: Double
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let client: LedgerClient
    let accounts: AccountSet
    let currency: String
    let fundingAmount: Int64
    let concurrency: Int
    let book: OutcomeBook
    let progress: ProgressLine
    let seed: UInt64
    let runID: UInt64

    /// Funding transfers per batch request; well under the server's 8,190.
    static let fundingBatchSize = 500

    func run() async throws -> Result {
        let clock = ContinuousClock()
        let started = clock.now
        var ids = SeededGenerator(seed: self.seed ^ self.runID, stream: "setup")
        let creations = self.accounts.all.map { id in
            let flags = id == self.accounts.source ? "" : ",\"flags\":{\"debits_must_not_exceed_credits\":true}"
            let body = "{\"id\":\"\(id.lowercasedString)\",\"currency\":\"\(self.currency)\"\(flags),\"metadata\":{\"origin\":\"loadtest\"}}"
            return self.request(path: "/v1/accounts", body: body, role: .createAccount(id), ids: &ids)
        }
        let created = Counter()
        let total = creations.count
        _ = try await concurrentlyMap(creations, limit: self.concurrency) { request in
            let exchange = await self.client.send(request, retries: max(self.client.retriesMax, LedgerClient.supportRetriesMin))
            try Self.require(exchange, what: "creating account \(request.path)")
            let done = created.increment()
            self.progress.show("set-up: accounts \(done)/\(total)")
        }

        let intents = self.accounts.flagged.map { account in
            TransferIntent(id: ids.uuid(), debitAccountID: self.accounts.source, creditAccountID: account, amount: self.fundingAmount, pending: false)
        }
        var chunks: [[TransferIntent]] = []
        var start = 0
        while start < intents.count {
            chunks.append(Array(intents[start..<min(start + Self.fundingBatchSize, intents.count)]))
            start += Self.fundingBatchSize
        }
        var mode = "batch"
        var funded = 0
        for (index, chunk) in chunks.enumerated() {
            let items = chunk.map { $0.jsonObject(currency: self.currency) }.joined(separator: ",")
            let request = self.request(path: "/v1/transfers/batch", body: "{\"transfers\":[\(items)],\"atomic\":false}", role: .batch(chunk), ids: &ids)
            let exchange = await self.client.send(request, retries: max(self.client.retriesMax, LedgerClient.supportRetriesMin))
            if index == 0, let answer = exchange.answer, answer.status == 404 || answer.status == 405 {
                mode = "single"
                break
            }
            try Self.require(exchange, what: "funding batch \(index + 1)")
            self.book.record(request, exchange)
            if let items = ResponseParser.batchItems(exchange.answer?.body ?? []),
               let failed = items.firstIndex(where: { !$0.succeeded }) {
                throw Failure(description: "funding transfer \(chunk[failed].id.lowercasedString) was refused: \(items[failed].code ?? "no code")")
            }
            funded += chunk.count
            self.progress.show("set-up: accounts \(total)/\(total), funded \(funded)/\(intents.count) (batch)")
        }
        if mode == "single" {
            let requests = intents.map { intent in
                self.request(path: "/v1/transfers", body: intent.jsonObject(currency: self.currency), role: .createTransfer(intent), ids: &ids)
            }
            let fundedCount = Counter()
            _ = try await concurrentlyMap(requests, limit: self.concurrency) { request in
                let exchange = await self.client.send(request, retries: max(self.client.retriesMax, LedgerClient.supportRetriesMin))
                self.book.record(request, exchange)
                try Self.require(exchange, what: "funding \(request.role.createdTransfers.first?.id.lowercasedString ?? "")")
                let done = fundedCount.increment()
                self.progress.show("set-up: accounts \(total)/\(total), funded \(done)/\(requests.count) (single transfers)")
            }
        }
        self.progress.finish()
        return Result(accounts: total, fundingMode: mode, fundingTransfers: intents.count, seconds: Format.seconds(clock.now - started))
    }

    private func request(path: String, body: String, role: PlannedRequest.Role, ids: inout SeededGenerator) -> PlannedRequest {
        PlannedRequest(serial: -1, method: .post, path: path, body: Array(body.utf8), idempotencyKey: ids.uuid().lowercasedString, urlIndex: 0, role: role)
    }

    private static func require(_ exchange: Exchange, what: String) throws {
        switch exchange.final {
        case .failed(let kind):
            throw Failure(description: "\(what): \(kind) after \(exchange.attempts) attempts")
        case .answered(let answer) where !answer.isSuccess:
            let text = String(decoding: answer.body.prefix(300), as: UTF8.self)
            throw Failure(description: "\(what): HTTP \(answer.status) \(text)")
        case .answered:
            return
        }
    }
}
