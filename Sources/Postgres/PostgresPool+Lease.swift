import Synchronization

extension PostgresPool {
    /// Takes a slot for one caller, waiting in line if all are busy.
    func lease() async throws -> ConnectionSlot {
        let configuration = self.configuration
        switch self.state.withLock({ $0.acquire(connectionsMax: configuration.connectionsMax, waitersMax: configuration.waitersMax) }) {
        case .slot(let slot):
            return slot
        case .fail(let error):
            if error.kind == .poolExhausted {
                self.metrics.recordAcquireRejection()
            }
            throw error
        case .wait:
            return try await self.waitForSlot()
        }
    }

    /// Registers the caller as a waiter. The decision is taken again under the lock inside the
    /// continuation, so a slot released in between is not missed.
    private func waitForSlot() async throws -> ConnectionSlot {
        let id = self.state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ConnectionSlot, any Error>) in
                self.enqueue(id, continuation)
            }
        } onCancel: {
            self.failWaiter(id, CancellationError())
        }
    }

    private func enqueue(_ id: UInt64, _ continuation: CheckedContinuation<ConnectionSlot, any Error>) {
        let configuration = self.configuration
        let immediate: Result<ConnectionSlot, any Error>? = self.state.withLock { state in
            // Checked under the lock: a cancellation handler that ran before this found no waiter.
            if Task.isCancelled {
                return .failure(CancellationError())
            }
            switch state.acquire(connectionsMax: configuration.connectionsMax, waitersMax: configuration.waitersMax) {
            case .slot(let slot):
                return .success(slot)
            case .fail(let error):
                return .failure(error)
            case .wait:
                state.waiters.append(id, WaiterQueue.Waiter(continuation: continuation, timer: nil))
                return nil
            }
        }
        if let immediate {
            continuation.resume(with: immediate)
            return
        }
        let timeout = configuration.acquireTimeout
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            guard let self else { return }
            self.metrics.recordAcquireTimeout()
            self.failWaiter(
                id,
                PostgresError(
                    kind: .timeout,
                    message: "no connection became free within \(timeout) (\(configuration.connectionsMax) in use)",
                    step: "acquire"))
        }
        let stored = self.state.withLock { $0.waiters.setTimer(id, timer) }
        if !stored {
            timer.cancel()
        }
    }

    private func failWaiter(_ id: UInt64, _ error: any Error) {
        guard let waiter = self.state.withLock({ $0.waiters.remove(id) }) else { return }
        waiter.timer?.cancel()
        waiter.continuation.resume(throwing: error)
    }

    /// Gives a slot back after the caller's closure finished on the pool's thread. A broken
    /// connection is closed here; the next lease of the slot opens a new one.
    func release(_ slot: ConnectionSlot) {
        if let connection = slot.connection, connection.isBroken {
            self.discardConnection(of: slot, reason: "broken")
        }
        switch self.state.withLock({ $0.release(slot) }) {
        case .handOver(let waiter):
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: slot)
        case .closeConnection:
            self.discardConnection(of: slot, reason: "pool closed")
        case .done:
            break
        }
    }
}
