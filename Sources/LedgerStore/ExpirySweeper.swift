public import Logging
public import ServiceLifecycle
import LedgerCore

/// Releases pending transfers whose timeout has passed, through the committer like any write.
///
/// Between sweeps an overdue hold still counts in `debits_pending`, but it can no longer be
/// posted or voided: the engine refuses both once the timeout has passed.
public struct ExpirySweeper: Service {
    public var interval: Duration = .seconds(1)
    /// Holds released per sweep; the rest wait for the next one.
    public var transfersPerSweepMax = 1_000

    let reader: LedgerReader
    let committer: Committer
    let logger: Logger

    public init(reader: LedgerReader, committer: Committer, logger: Logger) {
        self.reader = reader
        self.committer = committer
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            do {
                let expired = try await sweep()
                if expired > 0 { logger.info("pending transfers expired", metadata: ["ledger.expired.count": "\(expired)"]) }
            } catch {
                logger.warning("expiry sweep failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// One sweep; returns how many holds it released.
    public func sweep() async throws -> Int {
        let due = try await reader.duePendingTransfers(limit: transfersPerSweepMax)
        guard !due.isEmpty else { return 0 }
        let reply = try await committer.submit(WriteRequest(commands: due.map { .expirePending(id: $0) }))
        guard case .completed(let results, _) = reply else { return 0 }
        // A hold posted or voided since it was read fails here harmlessly with transfer_not_pending.
        return results.filter { (try? $0.get()) != nil }.count
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool {
        isCancelled || isShuttingDownGracefully
    }
}
