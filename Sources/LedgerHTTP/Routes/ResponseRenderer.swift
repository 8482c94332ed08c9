import HTTPTypes
import LedgerCore
import LedgerStore

/// Pure functions from a write's results to its response. The committer calls them inside the
/// transaction (perhaps more than once, on retries), and stores what they return with the
/// idempotency key; they must not read clocks, randomness or anything but their input.
enum ResponseRenderer {
    /// `POST /v1/accounts`: 201 with the account, 200 when an identical account existed.
    static func account(_ results: [Result<LedgerEffect, LedgerError>]) -> StoredResponse {
        precondition(results.count == 1, "one command, one result")
        switch results[0] {
        case .success(.account(let account, let changed)):
            var writer = JSONWriter()
            writer.account(account)
            return StoredResponse(status: changed ? 201 : 200, body: writer.bytes)
        case .success(.transfer):
            preconditionFailure("an account command produced a transfer")
        case .failure(let error):
            return StoredResponse(problem: Problem(ledgerError: error))
        }
    }

    /// `POST /v1/transfers`: 201 with the transfer, 200 when an identical transfer existed.
    static func createdTransfer(_ results: [Result<LedgerEffect, LedgerError>]) -> StoredResponse {
        transfer(results, createdStatus: 201)
    }

    /// `POST /v1/transfers/{id}/post` and `/void`: 200 with the resolved transfer.
    static func resolvedTransfer(_ results: [Result<LedgerEffect, LedgerError>]) -> StoredResponse {
        transfer(results, createdStatus: 200)
    }

    private static func transfer(_ results: [Result<LedgerEffect, LedgerError>], createdStatus: Int) -> StoredResponse {
        precondition(results.count == 1, "one command, one result")
        switch results[0] {
        case .success(.transfer(let transfer, _, let changed)):
            var writer = JSONWriter()
            writer.transfer(transfer)
            return StoredResponse(status: changed ? createdStatus : 200, body: writer.bytes)
        case .success(.account):
            preconditionFailure("a transfer command produced an account")
        case .failure(let error):
            return StoredResponse(problem: Problem(ledgerError: error))
        }
    }

    /// `POST /v1/transfers/batch` with `"atomic": true`: 201 with every result, or, when an item
    /// failed and so nothing was written, the failing item's problem (its field prefixed with
    /// `transfers.N.`) extended with every item's result, the others being `batch_item_failed`.
    static func atomicBatch(_ results: [Result<LedgerEffect, LedgerError>]) -> StoredResponse {
        for (index, result) in results.enumerated() {
            if case .failure(let error) = result, error.code != .batchItemFailed {
                var problem = Problem(ledgerError: error, fieldPrefix: "transfers.\(index).")
                problem.detail = "item \(index) failed, so no item was applied: \(error.detail)"
                var writer = JSONWriter(capacity: 256 + results.count * 300)
                writer.objectStart()
                problem.writeMembers(into: &writer)
                writer.key("results")
                writeResults(results, into: &writer)
                writer.objectEnd()
                return StoredResponse(status: problem.status.code, body: writer.bytes)
            }
        }
        var writer = JSONWriter(capacity: 64 + results.count * 480)
        writer.objectStart()
        writer.key("results")
        writeResults(results, into: &writer)
        writer.objectEnd()
        return StoredResponse(status: 201, body: writer.bytes)
    }

    /// `POST /v1/transfers/batch` without `atomic`: 200 with one result per item, each with
    /// its own status and either the transfer or the problem.
    static func independentBatch(_ results: [Result<LedgerEffect, LedgerError>]) -> StoredResponse {
        batchResults(results, status: 200)
    }

    private static func batchResults(_ results: [Result<LedgerEffect, LedgerError>], status: Int) -> StoredResponse {
        var writer = JSONWriter(capacity: 64 + results.count * 480)
        writer.objectStart()
        writer.key("results")
        writeResults(results, into: &writer)
        writer.objectEnd()
        return StoredResponse(status: status, body: writer.bytes)
    }

    /// `[{"status": 201, "transfer": {…}} | {"status": 422, "problem": {…}}, …]`.
    private static func writeResults(_ results: [Result<LedgerEffect, LedgerError>], into writer: inout JSONWriter) {
        writer.arrayStart()
        for (index, result) in results.enumerated() {
            writer.objectStart()
            switch result {
            case .success(.transfer(let transfer, _, let changed)):
                writer.field("status", changed ? 201 : 200)
                writer.key("transfer")
                writer.transfer(transfer)
            case .success(.account):
                preconditionFailure("a transfer command produced an account")
            case .failure(let error):
                let problem = Problem(ledgerError: error, fieldPrefix: "transfers.\(index).")
                writer.field("status", problem.status.code)
                writer.key("problem")
                writer.raw(bytes: problem.body)
            }
            writer.objectEnd()
        }
        writer.arrayEnd()
    }
}
