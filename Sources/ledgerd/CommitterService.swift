import LedgerStore
import Logging
import ServiceLifecycle

/// Runs the committer for the life of the process.
///
/// It is first in the service list, so on graceful shutdown it is stopped last: after the HTTP
/// server has drained, every write a client is waiting for has been submitted, and
/// `Committer.shutdown()` commits what is queued before the process exits.
struct CommitterService: Service {
    let committer: Committer
    let logger: Logger

    func run() async throws {
        committer.start()
        // Returns on graceful shutdown, throws on cancellation; either way the queue is drained.
        try? await gracefulShutdown()
        logger.info("draining the write queue")
        await committer.shutdown()
        logger.info("committer stopped")
    }
}
