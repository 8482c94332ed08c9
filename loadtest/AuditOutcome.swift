/// What the ledger's own verifier said about the database after the run.
enum AuditOutcome: Sendable, Equatable {
    case passed(String)
    case failed(String)
    case skipped(String)
}
