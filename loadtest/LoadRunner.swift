import Foundation

/// Drives the load phase: a closed loop of workers or an open-loop schedule, a warm-up whose
/// answers are booked but not measured, and a timeline closed once a second.
struct LoadRunner: Sendable {
    struct Timing: Sendable {
        var loadStart: ContinuousClock.Instant
        var measureStart: ContinuousClock.Instant
        var end: ContinuousClock.Instant
    }

    struct Summary: Sendable {
        var measuredElapsed: Duration
        var operations: Int
        /// Open loop: operations that waited for an in-flight slot past their intended send time.
        var operationsDelayed: Int
    }

    let configuration: RunConfiguration
    let client: LedgerClient
    let recorder: Recorder
    let book: OutcomeBook
    let source: PlanSource
    let progress: ProgressLine

    func run() async -> Summary {
        let clock = ContinuousClock()
        let loadStart = clock.now
        let measureStart = loadStart + self.configuration.warmup
        let timing = Timing(loadStart: loadStart, measureStart: measureStart, end: measureStart + self.configuration.duration)
        let ticker = Task { await self.tick(timing: timing) }
        let delayed: Int
        switch self.configuration.loadModel {
        case .closed:
            await self.runClosed(timing: timing)
            delayed = 0
        case .open(let rate):
            delayed = await self.runOpen(timing: timing, ratePerSecond: rate)
        }
        let finished = clock.now
        ticker.cancel()
        let secondsClosed = await ticker.value
        if finished > measureStart {
            self.recorder.closeSecond(secondsClosed)
        }
        self.progress.finish()
        return Summary(
            measuredElapsed: finished > measureStart ? finished - measureStart : .zero,
            operations: self.source.operationsIssued,
            operationsDelayed: delayed
        )
    }

    private func runClosed(timing: Timing) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<self.configuration.concurrency {
                group.addTask {
                    let clock = ContinuousClock()
                    while clock.now < timing.end, let operation = self.source.next() {
                        await self.execute(operation, intendedStart: clock.now, timing: timing)
                    }
                }
            }
        }
    }

    /// Sends operation i at loadStart + i / rate. When `inFlightMax` requests are out, the next
    /// one waits for a slot, and its latency still counts from its intended time: a slow server
    /// is charged for the requests it kept from being sent (no coordinated omission).
    private func runOpen(timing: Timing, ratePerSecond: Double) async -> Int {
        let interval = Duration.seconds(1.0 / ratePerSecond)
        let clock = ContinuousClock()
        var delayed = 0
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            var index = 0
            while true {
                let intended = timing.loadStart + interval * index
                guard intended < timing.end, let operation = self.source.next() else { break }
                index += 1
                if intended > clock.now {
                    try? await clock.sleep(until: intended)
                }
                if inFlight >= self.configuration.inFlightMax {
                    _ = await group.next()
                    inFlight -= 1
                    delayed += 1
                }
                inFlight += 1
                group.addTask {
                    await self.execute(operation, intendedStart: intended, timing: timing)
                }
            }
        }
        return delayed
    }

    private func execute(_ operation: PlannedOperation, intendedStart: ContinuousClock.Instant, timing: Timing) async {
        let clock = ContinuousClock()
        let measured = intendedStart >= timing.measureStart
        let exchange = await self.client.send(operation.first)
        let latency = clock.now - intendedStart
        let created = self.book.record(operation.first, exchange)
        self.recorder.record(latency: latency, exchange: exchange, kind: operation.first.role.kind, transfersAcknowledged: created, measured: measured)
        guard let followUp = operation.followUp, exchange.answer?.isSuccess == true else { return }
        let started = clock.now
        let second = await self.client.send(followUp)
        let secondLatency = clock.now - started
        _ = self.book.record(followUp, second)
        self.recorder.record(latency: secondLatency, exchange: second, kind: followUp.role.kind, transfersAcknowledged: 0, measured: measured)
    }

    /// Closes a timeline second each second of the measured phase and shows the live line.
    /// Returns the number of the second still open.
    private func tick(timing: Timing) async -> Int {
        let clock = ContinuousClock()
        var warmupSecond = 0
        while clock.now < timing.measureStart {
            warmupSecond += 1
            let wake = min(timing.loadStart + .seconds(warmupSecond), timing.measureStart)
            do { try await clock.sleep(until: wake) } catch { return 0 }
            if wake < timing.measureStart {
                self.progress.show("warm-up \(warmupSecond)s, \(self.recorder.counters.warmupRequests) requests")
            }
        }
        var second = 0
        while true {
            do { try await clock.sleep(until: timing.measureStart + .seconds(second + 1)) } catch { return second }
            let point = self.recorder.closeSecond(second)
            let counters = self.recorder.counters
            let errors = counters.transportErrors.values.reduce(0, +) + counters.statuses.filter { $0.key >= 500 }.values.reduce(0, +)
            self.progress.show(
                Format.pad("\(second + 1)s", 5) + "  " + Format.pad("\(point.requests) req/s", 12)
                    + "  " + Format.pad("\(point.transfers) transfers/s", 18)
                    + "  p50 " + Format.pad(Format.latency(point.p50Microseconds), 9)
                    + "  p99 " + Format.pad(Format.latency(point.p99Microseconds), 9)
                    + "  total \(counters.requests)  5xx+transport \(errors)"
            )
            second += 1
        }
    }
}
