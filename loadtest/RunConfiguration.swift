import Foundation

/// Everything a run needs, validated once from the command line.
struct RunConfiguration: Sendable {
    /// How requests are paced.
    enum LoadModel: Sendable, Equatable {
        /// `concurrency` workers, each sending its next request when the previous one answered.
        case closed
        /// Requests sent on a fixed schedule of `rate` per second, whether or not earlier ones answered.
        case open(ratePerSecond: Double)
    }

    var baseURLs: [String]
    var apiKey: String
    var scenario: Scenario
    var loadModel: LoadModel
    /// Closed loop: the number of workers. Both models: the connections kept per URL.
    var concurrency: Int
    /// Open loop: requests allowed in flight at once; later ones wait (their latency still counts
    /// from their intended send time).
    var inFlightMax: Int
    var duration: Duration
    var warmup: Duration
    var seed: UInt64
    /// Mixed into every id and idempotency key so that two runs with one seed can share a database.
    var runID: UInt64
    var requestsMax: Int?
    var accountCount: Int
    var fundingAmount: Int64
    var amountMax: Int64
    var currency: String
    var hotAccountCount: Int
    var hotShare: Double
    var replayShare: Double
    var readRatio: Double
    var batchSize: Int
    /// Pending scenario: the share of pending transfers that are voided rather than posted.
    var voidShare: Double
    var idOrder: IDOrder
    var requestTimeout: Duration
    var connectTimeout: Duration
    /// Extra attempts of one request after a 503, 429, 409 in-flight or transport error.
    var retriesMax: Int
    /// Concurrent lookups of the books check over HTTP.
    var checkConcurrency: Int
    var databaseURL: String?
    var skipBooksCheck: Bool
    var jsonPath: String?
    var htmlPath: String?
    var quiet: Bool

    /// Sizes of things kept in memory, named so they are visibly bounded.
    static let durationMax: Duration = .seconds(3_600)
    static let accountCountMax = 1_000_000
    static let concurrencyMax = 4_096
    static let replayWindowRequests = 10_000
    static let readWindowTransfers = 10_000
    static let violationsReportedMax = 50
}

extension RunConfiguration {
    /// The connection pool size per URL: one connection per worker, or per allowed in-flight
    /// request for the open loop up to the concurrency setting.
    var connectionsPerHost: Int { self.concurrency }

    var loadModelName: String {
        switch self.loadModel {
        case .closed: "closed"
        case .open: "open"
        }
    }

    var ratePerSecond: Double? {
        if case .open(let rate) = self.loadModel { return rate }
        return nil
    }
}
