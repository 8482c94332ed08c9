import Foundation
import Histogram

/// The outcome of a run, as the table, the JSON file and the HTML page show it.
struct RunReport: Sendable, Codable {
    struct Settings: Sendable, Codable {
        var scenario: String
        var urls: [String]
        var loadModel: String
        var concurrency: Int
        var ratePerSecond: Double?
        var inFlightMax: Int?
        var durationSeconds: Double
        var warmupSeconds: Double
        var seed: UInt64
        var runID: String
        var requestsMax: Int?
        var accounts: Int
        var fundingAmount: Int64
        var amountMax: Int64
        var hotAccounts: Int?
        var hotShare: Double?
        var replayShare: Double?
        var readRatio: Double?
        var batchSize: Int?
        var voidShare: Double?
        /// Absent in reports of runs from before the choice existed, which used random ids.
        var ids: String?
        var retriesMax: Int
    }

    struct Latency: Sendable, Codable {
        var count: UInt64
        var p50: UInt64
        var p90: UInt64
        var p99: UInt64
        var p999: UInt64
        var max: UInt64
        var mean: Double
    }

    struct Percentile: Sendable, Codable {
        var percentile: Double
        var microseconds: UInt64
    }

    var tool = "loadtest"
    var startedAt: String
    var settings: Settings
    var setup: AccountSetup.Result?
    var elapsedSeconds: Double
    var requests: Int
    var requestsPerSecond: Double
    var transfersAcknowledged: Int
    var transfersPerSecond: Double
    var warmupRequests: Int
    var operationsDelayed: Int
    var latencyMicroseconds: Latency
    var statusCounts: [String: Int]
    var problemCounts: [String: Int]
    var requestKinds: [String: Int]
    var retries: [String: Int]
    var retriesTotal: Int
    var transportErrors: [String: Int]
    var transportErrorsTotal: Int
    var timeline: [Recorder.Second]
    var distribution: [Percentile]
    var books: BooksCheck.Result?
    var passed: Bool
}

extension RunReport {
    static func settings(_ configuration: RunConfiguration) -> Settings {
        let scenario = configuration.scenario
        return Settings(
            scenario: scenario.rawValue,
            urls: configuration.baseURLs,
            loadModel: configuration.loadModelName,
            concurrency: configuration.concurrency,
            ratePerSecond: configuration.ratePerSecond,
            inFlightMax: configuration.ratePerSecond == nil ? nil : configuration.inFlightMax,
            durationSeconds: Format.seconds(configuration.duration),
            warmupSeconds: Format.seconds(configuration.warmup),
            seed: configuration.seed,
            runID: String(configuration.runID, radix: 16),
            requestsMax: configuration.requestsMax,
            accounts: configuration.accountCount,
            fundingAmount: configuration.fundingAmount,
            amountMax: configuration.amountMax,
            hotAccounts: scenario == .hot ? configuration.hotAccountCount : nil,
            hotShare: scenario == .hot ? configuration.hotShare : nil,
            replayShare: scenario == .replay ? configuration.replayShare : nil,
            readRatio: scenario == .mixed ? configuration.readRatio : nil,
            batchSize: scenario == .batch ? configuration.batchSize : nil,
            voidShare: scenario == .pending ? configuration.voidShare : nil,
            ids: configuration.idOrder.rawValue,
            retriesMax: configuration.retriesMax
        )
    }

    static func latency(_ histogram: Histogram<UInt64>) -> Latency {
        guard histogram.totalCount > 0 else {
            return Latency(count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0)
        }
        return Latency(
            count: histogram.totalCount,
            p50: histogram.valueAtPercentile(50),
            p90: histogram.valueAtPercentile(90),
            p99: histogram.valueAtPercentile(99),
            p999: histogram.valueAtPercentile(99.9),
            max: histogram.max,
            mean: histogram.mean
        )
    }

    /// The percentile distribution, in HdrHistogram's halving steps, for the chart.
    static func distribution(_ histogram: Histogram<UInt64>) -> [Percentile] {
        guard histogram.totalCount > 0 else { return [] }
        var points: [Percentile] = []
        for step in histogram.percentiles(ticksPerHalfDistance: 5) {
            points.append(Percentile(percentile: step.percentileLevelIteratedTo, microseconds: step.value))
            if points.count >= Self.distributionPointsMax { break }
        }
        return points
    }

    static let distributionPointsMax = 400

    /// Makes a report from what the run recorded.
    static func make(
        configuration: RunConfiguration, startedAt: Date, setup: AccountSetup.Result?,
        summary: LoadRunner.Summary, recorder: Recorder, books: BooksCheck.Result?
    ) -> RunReport {
        let counters = recorder.counters
        let histogram = recorder.histogram
        let elapsed = Format.seconds(summary.measuredElapsed)
        let perSecond = { (count: Int) in elapsed > 0 ? Double(count) / elapsed : 0 }
        return RunReport(
            startedAt: ISO8601DateFormatter().string(from: startedAt),
            settings: Self.settings(configuration),
            setup: setup,
            elapsedSeconds: elapsed,
            requests: counters.requests,
            requestsPerSecond: perSecond(counters.requests),
            transfersAcknowledged: counters.transfersAcknowledged,
            transfersPerSecond: perSecond(counters.transfersAcknowledged),
            warmupRequests: counters.warmupRequests,
            operationsDelayed: summary.operationsDelayed,
            latencyMicroseconds: Self.latency(histogram),
            statusCounts: Dictionary(uniqueKeysWithValues: counters.statuses.map { (String($0.key), $0.value) }),
            problemCounts: counters.problems,
            requestKinds: counters.kinds,
            retries: counters.retries,
            retriesTotal: counters.retries.values.reduce(0, +),
            transportErrors: counters.transportErrors,
            transportErrorsTotal: counters.transportErrors.values.reduce(0, +),
            timeline: recorder.seconds,
            distribution: Self.distribution(histogram),
            books: books,
            passed: books?.passed ?? true
        )
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
