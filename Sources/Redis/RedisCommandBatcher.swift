import Synchronization

/// Coalesces the commands of concurrent callers into shared pipelines.
///
/// Every call on a `RedisClient` crosses from the caller's thread to one of the client's
/// blocking threads and back. Under load those thread switches cost more than Redis itself, so
/// callers queue here and at most `flushersMax` flushes run at once, each sending everything
/// queued (up to `pipelineCommandsMax` commands) as one pipeline on one connection and handing
/// every caller its own replies. When the client is idle a caller's commands go out at once, in a
/// flush of their own.
///
/// A connection-level failure (timeout, lost connection, closed client) fails every caller of
/// that flush; an error reply fails only the command it answers, as in any pipeline.
final class RedisCommandBatcher: Sendable {
    typealias Flush = @Sendable ([[[UInt8]]]) async -> Result<[RedisReply], RedisError>

    private struct Waiter: Sendable {
        var commands: [[[UInt8]]]
        var continuation: CheckedContinuation<Result<[RedisReply], RedisError>, Never>
    }

    private struct State {
        var waiters: [Waiter] = []
        var head = 0
        var flushing = 0

        var queued: Int { waiters.count - head }
    }

    private let state = Mutex(State())
    private let flushersMax: Int
    private let commandsPerFlushMax: Int
    private let queuedCallersMax: Int

    init(flushersMax: Int, commandsPerFlushMax: Int, queuedCallersMax: Int) {
        precondition(flushersMax >= 1, "at least one flush must be able to run")
        precondition(commandsPerFlushMax >= 1, "a flush must hold at least one command")
        self.flushersMax = flushersMax
        self.commandsPerFlushMax = commandsPerFlushMax
        self.queuedCallersMax = queuedCallersMax
    }

    /// Sends `commands` (at most `commandsPerFlushMax`) in some flush and returns their replies
    /// in order. `flush` sends one pipeline; a flusher this call starts uses it.
    func submit(_ commands: [[[UInt8]]], flush: @escaping Flush) async -> Result<[RedisReply], RedisError> {
        precondition(!commands.isEmpty && commands.count <= commandsPerFlushMax, "checked by the client")
        return await withCheckedContinuation { continuation in
            let outcome = state.withLock { state -> (startFlusher: Bool, refused: Bool) in
                guard state.queued < queuedCallersMax else { return (false, true) }
                state.waiters.append(Waiter(commands: commands, continuation: continuation))
                guard state.flushing < flushersMax else { return (false, false) }
                state.flushing += 1
                return (true, false)
            }
            if outcome.refused {
                continuation.resume(returning: .failure(RedisError(
                    kind: .poolExhausted, message: "more than \(queuedCallersMax) callers are waiting for Redis")))
            } else if outcome.startFlusher {
                Task { await self.runFlusher(flush) }
            }
        }
    }

    /// Flushes until the queue is empty, then retires.
    private func runFlusher(_ flush: Flush) async {
        while let batch = takeBatch() {
            let commands = batch.flatMap(\.commands)
            let result = await flush(commands)
            switch result {
            case .success(let replies) where replies.count == commands.count:
                var start = 0
                for waiter in batch {
                    let end = start + waiter.commands.count
                    waiter.continuation.resume(returning: .success(Array(replies[start..<end])))
                    start = end
                }
            case .success(let replies):
                let error = RedisError(
                    kind: .protocolError, message: "a pipeline of \(commands.count) commands got \(replies.count) replies")
                for waiter in batch { waiter.continuation.resume(returning: .failure(error)) }
            case .failure(let error):
                for waiter in batch { waiter.continuation.resume(returning: .failure(error)) }
            }
        }
    }

    /// The oldest waiters whose commands fit in one flush (always at least one), or nil, retiring
    /// this flusher, when nothing is queued.
    private func takeBatch() -> [Waiter]? {
        state.withLock { state -> [Waiter]? in
            guard state.queued > 0 else {
                state.flushing -= 1
                return nil
            }
            var batch: [Waiter] = []
            var commands = 0
            while state.head < state.waiters.count {
                let next = state.waiters[state.head]
                guard batch.isEmpty || commands + next.commands.count <= commandsPerFlushMax else { break }
                batch.append(next)
                commands += next.commands.count
                state.head += 1
            }
            if state.head == state.waiters.count {
                state.waiters.removeAll(keepingCapacity: true)
                state.head = 0
            } else if state.head > 1_024 {
                state.waiters.removeFirst(state.head)
                state.head = 0
            }
            return batch
        }
    }
}
