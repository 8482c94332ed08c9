import Foundation
import LedgerCore

/// Makes the run's requests, one operation at a time, as a pure function of the seed (and of
/// the run id for ids and keys): the same seed gives the same sequence however the requests
/// are later spread over workers.
struct WorkloadGenerator: Sendable {
    struct Settings: Sendable {
        var scenario: Scenario
        var currency: String
        var amountMax: Int64
        var hotAccountCount: Int
        var hotShare: Double
        var replayShare: Double
        var readRatio: Double
        var batchSize: Int
        var voidShare: Double
        var idOrder: IDOrder
        var urlCount: Int
        /// Replays pick among requests at least this many places back, so that the original
        /// has usually been answered.
        var replayLagRequests: Int
        var requestsMax: Int?
    }

    let settings: Settings
    let accounts: [UUID]
    private var plan: SeededGenerator
    private var ids: SeededGenerator
    private var nextSerial = 0
    private var nextIndex = 0
    /// Time-ordered ids: where this run's ids start (drawn from the run id, so that runs sharing
    /// a database use ranges of their own) and how many were made so far.
    private let idStartMilliseconds: UInt64
    private var idsIssued: UInt64 = 0
    private var recentWrites = RingBuffer<PlannedRequest>(capacity: RunConfiguration.replayWindowRequests)
    private var recentTransfers = RingBuffer<UUID>(capacity: RunConfiguration.readWindowTransfers)

    init(settings: Settings, accounts: [UUID], seed: UInt64, runID: UInt64) {
        precondition(accounts.count >= 2, "transfers need two distinct accounts")
        precondition(settings.urlCount >= 1, "at least one URL")
        self.settings = settings
        self.accounts = accounts
        self.plan = SeededGenerator(seed: seed, stream: "plan")
        self.ids = SeededGenerator(seed: seed ^ runID, stream: "ids")
        // 2025-01-01 plus up to about two years; runs drawn close together still rarely overlap,
        // and overlapping ranges only cost some locality, never a clash.
        self.idStartMilliseconds = 1_735_689_600_000 + runID >> 28
    }

    /// The number of operations handed out so far.
    var operationsIssued: Int { self.nextIndex }

    /// The next operation, or nil once `requestsMax` operations were handed out.
    mutating func next() -> PlannedOperation? {
        if let limit = self.settings.requestsMax, self.nextIndex >= limit {
            return nil
        }
        defer { self.nextIndex += 1 }
        switch self.settings.scenario {
        case .uniform:
            return self.single(self.transfer(hot: false))
        case .hot:
            return self.single(self.transfer(hot: self.plan.chance(self.settings.hotShare)))
        case .replay:
            if self.plan.chance(self.settings.replayShare), let replay = self.replay() {
                return self.single(replay)
            }
            return self.single(self.transfer(hot: false))
        case .pending:
            return self.pendingLifecycle()
        case .mixed:
            if self.plan.chance(self.settings.readRatio) {
                return self.single(self.read())
            }
            return self.single(self.transfer(hot: false))
        case .batch:
            return self.single(self.batch())
        }
    }

    private func single(_ request: PlannedRequest) -> PlannedOperation {
        PlannedOperation(index: self.nextIndex, first: request, followUp: nil)
    }

    private mutating func pair(hot: Bool) -> (UUID, UUID) {
        let pool = hot ? self.settings.hotAccountCount : self.accounts.count
        let first = Int.random(in: 0..<pool, using: &self.plan)
        var second = Int.random(in: 0..<(pool - 1), using: &self.plan)
        if second >= first {
            second += 1
        }
        return (self.accounts[first], self.accounts[second])
    }

    private mutating func intent(hot: Bool, pending: Bool) -> TransferIntent {
        let (debit, credit) = self.pair(hot: hot)
        let amount = Int64.random(in: 1...self.settings.amountMax, using: &self.plan)
        return TransferIntent(id: self.newID(), debitAccountID: debit, creditAccountID: credit, amount: amount, pending: pending)
    }

    private mutating func newID() -> UUID {
        switch self.settings.idOrder {
        case .random:
            return self.ids.uuid()
        case .timeOrdered:
            self.idsIssued += 1
            return self.ids.timeOrderedUUID(startMilliseconds: self.idStartMilliseconds, order: self.idsIssued)
        }
    }

    private mutating func post(path: String, body: String, role: PlannedRequest.Role) -> PlannedRequest {
        let serial = self.nextSerial
        self.nextSerial += 1
        let request = PlannedRequest(
            serial: serial, method: .post, path: path, body: Array(body.utf8),
            idempotencyKey: self.newID().lowercasedString,
            urlIndex: serial % self.settings.urlCount, role: role
        )
        self.recentWrites.append(request)
        for transfer in role.createdTransfers {
            self.recentTransfers.append(transfer.id)
        }
        return request
    }

    private mutating func get(path: String, role: PlannedRequest.Role) -> PlannedRequest {
        let serial = self.nextSerial
        self.nextSerial += 1
        return PlannedRequest(
            serial: serial, method: .get, path: path, body: nil, idempotencyKey: nil,
            urlIndex: serial % self.settings.urlCount, role: role
        )
    }

    private mutating func transfer(hot: Bool) -> PlannedRequest {
        let intent = self.intent(hot: hot, pending: false)
        return self.post(path: "/v1/transfers", body: intent.jsonObject(currency: self.settings.currency), role: .createTransfer(intent))
    }

    private mutating func batch() -> PlannedRequest {
        let intents = (0..<self.settings.batchSize).map { _ in self.intent(hot: false, pending: false) }
        let items = intents.map { $0.jsonObject(currency: self.settings.currency) }.joined(separator: ",")
        return self.post(path: "/v1/transfers/batch", body: "{\"transfers\":[\(items)],\"atomic\":false}", role: .batch(intents))
    }

    private mutating func replay() -> PlannedRequest? {
        let eligible = self.recentWrites.count - self.settings.replayLagRequests
        guard eligible > 0 else { return nil }
        let age = self.settings.replayLagRequests + Int.random(in: 0..<eligible, using: &self.plan)
        let original = self.recentWrites.element(age: age)
        let serial = self.nextSerial
        self.nextSerial += 1
        return PlannedRequest(
            serial: serial, method: original.method, path: original.path, body: original.body,
            idempotencyKey: original.idempotencyKey, urlIndex: serial % self.settings.urlCount,
            role: .replay(originalSerial: original.serial, original: original.role)
        )
    }

    private mutating func read() -> PlannedRequest {
        if self.recentTransfers.count > 0, self.plan.chance(0.5) {
            let id = self.recentTransfers.element(age: Int.random(in: 0..<self.recentTransfers.count, using: &self.plan))
            return self.get(path: "/v1/transfers/\(id.lowercasedString)", role: .readTransfer(id))
        }
        let account = self.accounts[Int.random(in: 0..<self.accounts.count, using: &self.plan)]
        return self.get(path: "/v1/accounts/\(account.lowercasedString)", role: .readAccount(account))
    }

    private mutating func pendingLifecycle() -> PlannedOperation {
        let intent = self.intent(hot: false, pending: true)
        let create = self.post(path: "/v1/transfers", body: intent.jsonObject(currency: self.settings.currency), role: .createTransfer(intent))
        let path = "/v1/transfers/\(intent.id.lowercasedString)"
        let followUp: PlannedRequest
        if self.plan.chance(self.settings.voidShare) {
            followUp = self.post(path: path + "/void", body: "{}", role: .voidPending(transferID: intent.id))
        } else if self.plan.chance(0.5) {
            let amount = Int64.random(in: 1...intent.amount, using: &self.plan)
            followUp = self.post(path: path + "/post", body: "{\"amount\":\(amount)}", role: .postPending(transferID: intent.id, amount: amount))
        } else {
            followUp = self.post(path: path + "/post", body: "{}", role: .postPending(transferID: intent.id, amount: nil))
        }
        return PlannedOperation(index: self.nextIndex, first: create, followUp: followUp)
    }
}
