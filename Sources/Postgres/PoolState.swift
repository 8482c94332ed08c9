/// The pool's bookkeeping, always used under the pool's lock. Pure state: it decides, and the
/// pool resumes continuations and closes connections after the lock is released.
struct PoolState: Sendable {
    /// Slots handed out or idle; never more than `connectionsMax`.
    var slotCount = 0
    /// Idle slots, used last-in first-out so that warm connections stay in use.
    var idle: [ConnectionSlot] = []
    var waiters = WaiterQueue()
    var nextWaiterID: UInt64 = 0
    var isClosed = false

    enum Acquire {
        case slot(ConnectionSlot)
        case fail(PostgresError)
        case wait
    }

    /// Hands out an idle slot or a new one, or says that the caller must wait or give up.
    mutating func acquire(connectionsMax: Int, waitersMax: Int) -> Acquire {
        if self.isClosed {
            return .fail(PostgresError(kind: .poolClosed, message: "the pool is closed", step: "acquire"))
        }
        if let slot = self.idle.popLast() {
            return .slot(slot)
        }
        if self.slotCount < connectionsMax {
            self.slotCount += 1
            return .slot(ConnectionSlot())
        }
        if self.waiters.count >= waitersMax {
            return .fail(
                PostgresError(
                    kind: .poolExhausted,
                    message: "all \(connectionsMax) connections are busy and \(waitersMax) callers are waiting",
                    step: "acquire"))
        }
        return .wait
    }

    enum Release {
        case handOver(WaiterQueue.Waiter)
        case closeConnection
        case done
    }

    /// Takes a slot back: to the first waiter if there is one, else to the idle list; a slot
    /// whose connection is gone is dropped unless a waiter can open a new one in it.
    mutating func release(_ slot: ConnectionSlot) -> Release {
        if self.isClosed {
            self.slotCount -= 1
            return .closeConnection
        }
        if let waiter = self.waiters.popFirst() {
            return .handOver(waiter)
        }
        if slot.connection == nil {
            self.slotCount -= 1
        } else {
            self.idle.append(slot)
        }
        return .done
    }

    /// Marks the pool closed and gives back what must be closed and failed; nil when it already was.
    mutating func close() -> (idle: [ConnectionSlot]?, waiters: [WaiterQueue.Waiter]?) {
        guard !self.isClosed else { return (nil, nil) }
        self.isClosed = true
        let idle = self.idle
        self.idle = []
        self.slotCount -= idle.count
        var waiters: [WaiterQueue.Waiter] = []
        while let waiter = self.waiters.popFirst() {
            waiters.append(waiter)
        }
        return (idle, waiters)
    }
}

/// Callers waiting for a slot, served first come first served. Waiters that time out or are
/// cancelled leave from the middle, so entries live in a dictionary and the order in an array
/// of ids that is compacted as it is consumed.
struct WaiterQueue: Sendable {
    struct Waiter: Sendable {
        var continuation: CheckedContinuation<ConnectionSlot, any Error>
        var timer: Task<Void, Never>?
    }

    private var order: [UInt64] = []
    private var head = 0
    private var entries: [UInt64: Waiter] = [:]

    var count: Int { self.entries.count }

    mutating func append(_ id: UInt64, _ waiter: Waiter) {
        self.entries[id] = waiter
        self.order.append(id)
    }

    mutating func setTimer(_ id: UInt64, _ timer: Task<Void, Never>) -> Bool {
        guard self.entries[id] != nil else { return false }
        self.entries[id]!.timer = timer
        return true
    }

    mutating func remove(_ id: UInt64) -> Waiter? {
        let waiter = self.entries.removeValue(forKey: id)
        self.compact()
        return waiter
    }

    mutating func popFirst() -> Waiter? {
        while self.head < self.order.count {
            let id = self.order[self.head]
            self.head += 1
            if let waiter = self.entries.removeValue(forKey: id) {
                self.compact()
                return waiter
            }
        }
        self.compact()
        return nil
    }

    /// Keeps the id array at most about twice the live waiters, whatever leaves from where.
    private mutating func compact() {
        if self.head == self.order.count {
            self.order.removeAll(keepingCapacity: true)
            self.head = 0
        } else if self.order.count > 64, self.order.count > 2 * self.entries.count {
            self.order = self.order[self.head...].filter { self.entries[$0] != nil }
            self.head = 0
        }
    }
}
