import Histogram
import Synchronization

/// Latency and counters of the measured part of a run, shared by every worker. Latencies are
/// microseconds in an HDR histogram with three significant digits.
final class Recorder: Sendable {
    struct Counters: Sendable {
        var requests = 0
        var transfersAcknowledged = 0
        var statuses: [Int: Int] = [:]
        var problems: [String: Int] = [:]
        var transportErrors: [String: Int] = [:]
        var retries: [String: Int] = [:]
        var kinds: [String: Int] = [:]
        var warmupRequests = 0
    }

    /// One second of the measured phase.
    struct Second: Sendable, Codable {
        var second: Int
        var requests: Int
        var transfers: Int
        var errors: Int
        var p50Microseconds: UInt64
        var p99Microseconds: UInt64
        var maxMicroseconds: UInt64
    }

    private struct State {
        var overall = Recorder.makeHistogram()
        var current = Recorder.makeHistogram()
        var currentTransfers = 0
        var currentErrors = 0
        var counters = Counters()
        var seconds: [Second] = []
    }

    /// Latencies above a minute are recorded as a minute; no request of a run waits that long.
    static let latencyMicrosecondsMax: UInt64 = 60_000_000

    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: latencyMicrosecondsMax, numberOfSignificantValueDigits: .three)
    }

    private let state = Mutex(State())

    /// Records one finished request. `measured` is false during the warm-up, whose requests
    /// count only towards the books.
    func record(latency: Duration, exchange: Exchange, kind: String, transfersAcknowledged: Int, measured: Bool) {
        let microseconds = min(max(Self.microseconds(latency), 1), Self.latencyMicrosecondsMax)
        self.state.withLock { state in
            guard measured else {
                state.counters.warmupRequests += 1
                return
            }
            _ = state.overall.record(microseconds)
            _ = state.current.record(microseconds)
            state.counters.requests += 1
            state.counters.kinds[kind, default: 0] += 1
            state.counters.transfersAcknowledged += transfersAcknowledged
            state.currentTransfers += transfersAcknowledged
            for reason in exchange.retryReasons {
                state.counters.retries[reason, default: 0] += 1
            }
            switch exchange.final {
            case .answered(let answer):
                state.counters.statuses[answer.status, default: 0] += 1
                if let code = answer.problemCode {
                    state.counters.problems[code, default: 0] += 1
                }
                if answer.status >= 500 {
                    state.currentErrors += 1
                }
            case .failed(let kind):
                state.counters.transportErrors[kind, default: 0] += 1
                state.currentErrors += 1
            }
        }
    }

    /// Closes the current second of the timeline and returns it.
    @discardableResult
    func closeSecond(_ second: Int) -> Second {
        self.state.withLock { state in
            let point = Second(
                second: second,
                requests: Int(state.current.totalCount),
                transfers: state.currentTransfers,
                errors: state.currentErrors,
                p50Microseconds: state.current.totalCount > 0 ? state.current.valueAtPercentile(50) : 0,
                p99Microseconds: state.current.totalCount > 0 ? state.current.valueAtPercentile(99) : 0,
                maxMicroseconds: state.current.totalCount > 0 ? state.current.max : 0
            )
            state.seconds.append(point)
            state.current.reset()
            state.currentTransfers = 0
            state.currentErrors = 0
            return point
        }
    }

    var counters: Counters { self.state.withLock { $0.counters } }
    var histogram: Histogram<UInt64> { self.state.withLock { $0.overall } }
    var seconds: [Second] { self.state.withLock { $0.seconds } }

    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        let total = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        return total < 0 ? 0 : UInt64(total)
    }
}
