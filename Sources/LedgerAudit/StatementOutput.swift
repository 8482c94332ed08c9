/// Where an exported statement's bytes go. The exporter calls `write` from one of the pool's
/// threads, one call at a time, with chunks of up to its buffer limit.
public protocol StatementOutput: Sendable {
    func write(_ bytes: [UInt8]) throws(AuditError)
}
