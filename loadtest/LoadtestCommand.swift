import ArgumentParser
import Foundation
import LedgerCore
import Logging

/// `loadtest`: drives one or more ledgerd URLs with a scenario, reports throughput and latency,
/// then checks the books (PRODUCT.md §7).
struct LoadtestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Drive ledgerd with a load scenario, report latency and throughput, then check the books.",
        discussion: """
        Set-up creates --accounts accounts flagged debits_must_not_exceed_credits plus one source \
        account and funds each from the source. The load phase then runs the scenario for \
        --warmup and --duration. Afterwards every acknowledged transfer is looked up, refused ones \
        must be absent, balances must equal what acknowledged transfers imply, replays must have \
        returned identical bytes, and (with --database-url) the ledger verifier must pass.
        Exit status: 0 passed, 1 the books check failed, 2 the run could not be carried out.
        """
    )

    @Option(name: .customLong("url"), help: "Base URL of a ledgerd instance; repeat to spread requests round robin.")
    var urls: [String] = []

    @Option(help: "API key sent as Authorization: Bearer (default: $LEDGER_API_KEY).")
    var apiKey: String?

    @Option(help: "uniform, hot, replay, pending, mixed or batch.")
    var scenario: Scenario = .uniform

    @Option(help: "Closed loop: workers (and connections per URL). Open loop: connections per URL.")
    var concurrency = 16

    @Option(help: "Open loop: requests per second on a fixed schedule (latency counted from each intended send time).")
    var rate: Double?

    @Option(help: "Open loop: requests in flight at most; later ones wait, and their wait counts as latency.")
    var inFlightMax = 4_096

    @Option(help: "Measured time (30s, 2m, 500ms).")
    var duration = DurationArgument(.seconds(30))

    @Option(help: "Time sent before measuring; its requests are booked and checked but not measured.")
    var warmup = DurationArgument(.seconds(3))

    @Option(help: "Seed of the request sequence: one seed, one sequence of requests.")
    var seed: UInt64 = 1

    @Option(help: "Hex run id mixed into ids and idempotency keys (default random); with a fresh database and the same seed it repeats a run byte for byte.")
    var runID: String?

    @Option(name: .customLong("max-requests"), help: "Stop after this many operations (warm-up included).")
    var requestsMax: Int?

    @Option(help: "Accounts flagged debits_must_not_exceed_credits (plus one unflagged source).")
    var accounts = 1_000

    @Option(help: "Minor units moved from the source to each account in the set-up.")
    var funding: Int64 = 1_000_000_000

    @Option(help: "Largest transfer amount in minor units; amounts are uniform in 1…max.")
    var amountMax: Int64 = 10_000

    @Option(help: "Currency of the accounts.")
    var currency = "USD"

    @Option(help: "hot: the number of hot accounts.")
    var hot = 10

    @Option(help: "hot: the share of transfers with both ends among the hot accounts.")
    var hotShare = 0.9

    @Option(help: "replay: the share of requests that resend an earlier key and body.")
    var replayShare = 0.1

    @Option(help: "mixed: the share of requests that are reads.")
    var readRatio = 0.5

    @Option(help: "batch: transfers per batch request.")
    var batchSize = 100

    @Option(help: "Transfer ids and idempotency keys: random (version 4 UUIDs) or time-ordered (version 7 layout, growing with each id).")
    var ids: IDOrder = .random

    @Option(help: "pending: the share of pending transfers voided instead of posted.")
    var voidShare = 0.3

    @Option(help: "Time allowed for one answer.")
    var timeout = DurationArgument(.seconds(10))

    @Option(help: "Time allowed to open a connection.")
    var connectTimeout = DurationArgument(.seconds(5))

    @Option(name: .customLong("retries"), help: "Retries of one request after 503, 429, 409 in-flight or a transport error (same key).")
    var retriesMax = 3

    @Option(help: "Concurrent lookups while checking the books over HTTP.")
    var checkConcurrency = 32

    @Option(help: "libpq URL of the ledger's database: the books check then reads transfers with one query and runs the ledger verifier.")
    var databaseURL: String?

    @Flag(name: .customLong("no-check"), help: "Skip the books check.")
    var skipBooksCheck = false

    @Option(name: .customLong("json"), help: "Write the report as JSON to this file.")
    var jsonPath: String?

    @Option(name: .customLong("html"), help: "Write a self-contained HTML report to this file.")
    var htmlPath: String?

    @Flag(help: "No live progress line.")
    var quiet = false

    @Flag(help: "Run the built-in checks of the harness itself (no server needed) and exit.")
    var selfTest = false

    @Option(name: .customLong("summarize"), parsing: .upToNextOption, help: "Print one summary line per JSON report given and exit.")
    var summarizePaths: [String] = []

    func validate() throws {
        if self.selfTest || !self.summarizePaths.isEmpty { return }
        _ = try self.makeConfiguration()
    }

    func run() async throws {
        if self.selfTest {
            let failures = await SelfTest.run()
            throw ExitCode(failures == 0 ? 0 : 1)
        }
        if !self.summarizePaths.isEmpty {
            print(try BenchSummary.table(paths: self.summarizePaths))
            return
        }
        let configuration = try self.makeConfiguration()
        var logger = Logger(label: "loadtest")
        logger.logLevel = .warning
        let code = await Loadtest(configuration: configuration, logger: logger).run()
        throw ExitCode(code)
    }

    func makeConfiguration() throws -> RunConfiguration {
        let key = self.apiKey ?? ProcessInfo.processInfo.environment["LEDGER_API_KEY"] ?? ""
        guard !key.isEmpty else { throw ValidationError("an API key is needed: --api-key or LEDGER_API_KEY") }
        let urls = self.urls.isEmpty ? ["http://127.0.0.1:8080"] : self.urls
        for url in urls where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--url \(url): expected http://host:port")
        }
        guard (2...RunConfiguration.accountCountMax).contains(self.accounts) else {
            throw ValidationError("--accounts must be 2…\(RunConfiguration.accountCountMax)")
        }
        guard (1...RunConfiguration.concurrencyMax).contains(self.concurrency) else {
            throw ValidationError("--concurrency must be 1…\(RunConfiguration.concurrencyMax)")
        }
        guard (1...100_000).contains(self.inFlightMax) else { throw ValidationError("--in-flight-max must be 1…100000") }
        if let rate = self.rate, !(rate > 0 && rate <= 1_000_000) { throw ValidationError("--rate must be in (0, 1000000]") }
        guard self.duration.duration > .zero, self.duration.duration + self.warmup.duration <= RunConfiguration.durationMax else {
            throw ValidationError("--duration must be positive and, with --warmup, at most an hour")
        }
        if let limit = self.requestsMax, limit < 1 { throw ValidationError("--max-requests must be positive") }
        guard self.funding > 0, self.amountMax > 0 else { throw ValidationError("--funding and --amount-max must be positive") }
        guard (2...self.accounts).contains(self.hot) else { throw ValidationError("--hot must be 2…--accounts") }
        for (name, value) in [("--hot-share", self.hotShare), ("--replay-share", self.replayShare), ("--read-ratio", self.readRatio), ("--void-share", self.voidShare)]
        where !(0...1).contains(value) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        guard (1...Limits.transfersPerBatchMax).contains(self.batchSize) else {
            throw ValidationError("--batch-size must be 1…\(Limits.transfersPerBatchMax)")
        }
        guard (0...10).contains(self.retriesMax) else { throw ValidationError("--retries must be 0…10") }
        guard (1...256).contains(self.checkConcurrency) else { throw ValidationError("--check-concurrency must be 1…256") }
        guard self.timeout.duration > .zero, self.connectTimeout.duration > .zero else { throw ValidationError("timeouts must be positive") }
        let runID: UInt64
        if let text = self.runID {
            guard let value = UInt64(text, radix: 16) else { throw ValidationError("--run-id must be hexadecimal") }
            runID = value
        } else {
            runID = UInt64.random(in: 1...UInt64.max)
        }
        return RunConfiguration(
            baseURLs: urls, apiKey: key, scenario: self.scenario,
            loadModel: self.rate.map { .open(ratePerSecond: $0) } ?? .closed,
            concurrency: self.concurrency, inFlightMax: self.inFlightMax,
            duration: self.duration.duration, warmup: self.warmup.duration,
            seed: self.seed, runID: runID, requestsMax: self.requestsMax,
            accountCount: self.accounts, fundingAmount: self.funding, amountMax: self.amountMax, currency: self.currency,
            hotAccountCount: self.hot, hotShare: self.hotShare, replayShare: self.replayShare, readRatio: self.readRatio,
            batchSize: self.batchSize, voidShare: self.voidShare, idOrder: self.ids,
            requestTimeout: self.timeout.duration, connectTimeout: self.connectTimeout.duration, retriesMax: self.retriesMax,
            checkConcurrency: self.checkConcurrency, databaseURL: self.databaseURL, skipBooksCheck: self.skipBooksCheck,
            jsonPath: self.jsonPath, htmlPath: self.htmlPath, quiet: self.quiet
        )
    }
}

extension Scenario: ExpressibleByArgument {}
extension IDOrder: ExpressibleByArgument {}
