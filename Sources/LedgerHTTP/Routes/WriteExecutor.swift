import Hummingbird
import LedgerCore
import LedgerStore

/// How every write route reaches the ledger: one `WriteRequest` through the committer, with
/// the response rendered from the results inside the committing transaction, so that what is
/// stored for the idempotency key is exactly what this client is sent.
struct WriteExecutor: Sendable {
    typealias Render = @Sendable ([Result<LedgerEffect, LedgerError>]) -> StoredResponse

    let committer: Committer

    /// Submits `commands` and answers with the rendered (or replayed) response.
    func submit(_ commands: [LedgerCommand], atomic: Bool = false, render: @escaping Render, context: LedgerRequestContext) async throws -> Response {
        let ticket = context.idempotency
        let request = WriteRequest(commands: commands, atomic: atomic, idempotency: ticket?.intent(render: render))
        switch try await committer.submit(request) {
        case .completed(let results, let stored):
            let response = stored ?? render(results)
            ticket?.outcome = .stored(response, replayed: false)
            return response.httpResponse(replayed: false)
        case .replayed(let stored):
            ticket?.outcome = .stored(stored, replayed: true)
            return stored.httpResponse(replayed: true)
        case .keyReused:
            ticket?.outcome = .keyReused
            throw Problem.idempotencyKeyReused
        }
    }

    /// Answers a request refused before any command could be built (bad JSON, a bad field).
    ///
    /// With an idempotency key the refusal is stored like any other answer, through the same
    /// path with no commands (PRODUCT.md §3: a 4xx is replayed like a success), so a retry of the
    /// same bad request gets the same answer and a fixed request needs a new key.
    func refuse(_ problem: Problem, context: LedgerRequestContext) async throws -> Response {
        precondition((400..<500).contains(problem.status.code), "only client errors are stored as refusals")
        guard context.idempotency != nil else { throw problem }
        let stored = StoredResponse(problem: problem)
        return try await submit([], render: { _ in stored }, context: context)
    }

    /// Decodes with `decode`, then submits; a decoding problem is refused through `refuse`.
    func run(
        context: LedgerRequestContext,
        decode: () throws(Problem) -> (commands: [LedgerCommand], atomic: Bool, render: Render)
    ) async throws -> Response {
        let plan: (commands: [LedgerCommand], atomic: Bool, render: Render)
        do throws(Problem) {
            plan = try decode()
        } catch {
            return try await refuse(error, context: context)
        }
        return try await submit(plan.commands, atomic: plan.atomic, render: plan.render, context: context)
    }
}
