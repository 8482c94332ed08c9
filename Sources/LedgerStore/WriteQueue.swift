import Synchronization

/// The committer's bounded queue. Producers never wait: when it is full they are refused at
/// once, which becomes a 503 rather than unbounded memory and latency.
final class WriteQueue<Item: Sendable>: Sendable {
    private struct State {
        var items: [Item] = []
        var head = 0
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false

        var count: Int { items.count - head }
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a write queue needs room for at least one request")
        self.capacity = capacity
    }

    enum EnqueueResult { case enqueued, full, closed }

    func enqueue(_ item: Item) -> EnqueueResult {
        let (result, waiter) = state.withLock { state -> (EnqueueResult, CheckedContinuation<Void, Never>?) in
            guard !state.closed else { return (.closed, nil) }
            guard state.count < capacity else { return (.full, nil) }
            state.items.append(item)
            let waiter = state.waiter
            state.waiter = nil
            return (.enqueued, waiter)
        }
        waiter?.resume()
        return result
    }

    /// Takes the oldest items, at most `countMax` of them and at most `weightMax` of summed
    /// `weight` (always at least one), waiting while the queue is empty. Returns an empty array
    /// once the queue is closed and drained. The running sum keeps the work under the lock
    /// linear in the items taken.
    func take(countMax: Int, weightMax: Int, weight: (Item) -> Int) async -> [Item] {
        while true {
            let batch = state.withLock { state -> [Item]? in
                guard state.count > 0 else { return state.closed ? [] : nil }
                var taken: [Item] = []
                var takenWeight = 0
                while state.head < state.items.count, taken.count < countMax {
                    let next = state.items[state.head]
                    let nextWeight = weight(next)
                    guard taken.isEmpty || takenWeight + nextWeight <= weightMax else { break }
                    taken.append(next)
                    takenWeight += nextWeight
                    state.head += 1
                }
                // Compact now and then so the array does not grow without bound.
                if state.head > 1_024, state.head * 2 > state.items.count {
                    state.items.removeFirst(state.head)
                    state.head = 0
                }
                return taken
            }
            if let batch { return batch }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.count > 0 || state.closed { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Refuses new items; items already queued are still taken.
    func close() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
