import Synchronization

/// Hands out the plan's operations to workers in plan order.
final class PlanSource: Sendable {
    private let generator: Mutex<WorkloadGenerator>

    init(_ generator: WorkloadGenerator) {
        self.generator = Mutex(generator)
    }

    func next() -> PlannedOperation? {
        self.generator.withLock { $0.next() }
    }

    var operationsIssued: Int {
        self.generator.withLock { $0.operationsIssued }
    }
}
