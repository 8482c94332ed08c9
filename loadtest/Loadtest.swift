import Foundation
import Logging

/// One run from start to end: set-up, load, books check, reports. Returns the exit status.
struct Loadtest: Sendable {
    let configuration: RunConfiguration
    let logger: Logger

    /// Exit statuses.
    static let exitPassed: Int32 = 0
    static let exitBooksFailed: Int32 = 1
    static let exitRunFailed: Int32 = 2

    func run() async -> Int32 {
        let configuration = self.configuration
        let startedAt = Date()
        let client = LedgerClient(
            baseURLs: configuration.baseURLs, apiKey: configuration.apiKey,
            connectionsPerHost: configuration.connectionsPerHost,
            connectTimeout: configuration.connectTimeout, requestTimeout: configuration.requestTimeout,
            retriesMax: configuration.retriesMax
        )
        let database = configuration.databaseURL.map { DatabaseChecks(url: $0, logger: self.logger) }
        let status = await self.run(client: client, database: database, startedAt: startedAt)
        await database?.close()
        await client.shutdown()
        return status
    }

    private func run(client: LedgerClient, database: DatabaseChecks?, startedAt: Date) async -> Int32 {
        let configuration = self.configuration
        let accounts = AccountSet(count: configuration.accountCount, seed: configuration.seed, runID: configuration.runID)
        let book = OutcomeBook(keepAnswersForReplay: configuration.scenario == .replay)
        let setupProgress = ProgressLine.standardError(enabled: !configuration.quiet)
        let setup: AccountSetup.Result
        do {
            setup = try await AccountSetup(
                client: client, accounts: accounts, currency: configuration.currency,
                fundingAmount: configuration.fundingAmount, concurrency: min(configuration.concurrency, 64),
                book: book, progress: setupProgress, seed: configuration.seed, runID: configuration.runID
            ).run()
        } catch {
            setupProgress.finish()
            Self.printError("loadtest: set-up failed: \(error)")
            return Self.exitRunFailed
        }
        if !setupProgress.isEnabled, !configuration.quiet {
            Self.printError("set-up: \(setup.accounts) accounts, \(setup.fundingTransfers) funded (\(setup.fundingMode)) in \(Format.significant(setup.seconds)) s")
        }

        let generator = WorkloadGenerator(
            settings: Self.generatorSettings(configuration),
            accounts: accounts.flagged, seed: configuration.seed, runID: configuration.runID
        )
        let recorder = Recorder()
        let summary = await LoadRunner(
            configuration: configuration, client: client, recorder: recorder, book: book,
            source: PlanSource(generator), progress: .standardOutput(enabled: !configuration.quiet)
        ).run()
        book.finishReplays()

        var books: BooksCheck.Result?
        if !configuration.skipBooksCheck {
            let progress = ProgressLine.standardError(enabled: !configuration.quiet)
            progress.show("checking the books…")
            let http = HTTPLookup(client: client, concurrency: configuration.checkConcurrency)
            let audit = await database?.verify() ?? .skipped("needs --database-url")
            books = await BooksCheck(
                records: book.transfers, accounts: accounts.all,
                transfers: database?.transferLookup ?? http, balances: http,
                replay: book.replayStatistics, runViolations: book.violations, audit: audit
            ).run()
            progress.finish()
        }

        let report = RunReport.make(
            configuration: configuration, startedAt: startedAt, setup: setup,
            summary: summary, recorder: recorder, books: books
        )
        print(report.table())
        do {
            if let path = configuration.jsonPath {
                try Self.write(report.json(), to: path)
            }
            if let path = configuration.htmlPath {
                try Self.write(Data(report.html().utf8), to: path)
            }
        } catch {
            Self.printError("loadtest: writing the report failed: \(error)")
            return Self.exitRunFailed
        }
        return report.passed ? Self.exitPassed : Self.exitBooksFailed
    }

    static func generatorSettings(_ configuration: RunConfiguration) -> WorkloadGenerator.Settings {
        WorkloadGenerator.Settings(
            scenario: configuration.scenario, currency: configuration.currency, amountMax: configuration.amountMax,
            hotAccountCount: configuration.hotAccountCount, hotShare: configuration.hotShare,
            replayShare: configuration.replayShare, readRatio: configuration.readRatio,
            batchSize: configuration.batchSize, voidShare: configuration.voidShare, idOrder: configuration.idOrder,
            urlCount: configuration.baseURLs.count,
            replayLagRequests: min(2 * configuration.concurrency, RunConfiguration.replayWindowRequests / 2),
            requestsMax: configuration.requestsMax
        )
    }

    static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
