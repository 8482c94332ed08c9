import Foundation
import LedgerCore
import LedgerStore
import LedgerTestSupport
import Logging
import Postgres
import Testing

/// The seeding half of `make bench-statement`: puts N entries on one account through the
/// committer, in requests of up to 8,190 transfers, into the database `ledger_bench_statement`
/// on DATABASE_URL's server. It runs only when LEDGER_BENCH_STATEMENT_ENTRIES is set, and seeds
/// once: a database that already holds the entries is left as it is.
@Suite("Statement benchmark seed")
struct StatementBenchmark {
    static let environment = ProcessInfo.processInfo.environment
    static let databaseName = "ledger_bench_statement"
    static let walletCode = "bench:statement:wallet"
    /// Requests in flight at once: one commits while the next is prepared.
    static let requestsInFlightMax = 2

    @Test(
        "benchmark seed: N entries on one account, through the committer",
        .enabled(if: environment["LEDGER_BENCH_STATEMENT_ENTRIES"] != nil, "set by make bench-statement")
    )
    func seed() async throws {
        let entriesWanted = try #require(Int(Self.environment["LEDGER_BENCH_STATEMENT_ENTRIES"] ?? ""), "LEDGER_BENCH_STATEMENT_ENTRIES must be a number")
        #expect(entriesWanted > 0)
        let logger = Logger(label: "bench.seed")
        let serverURL = try TestDatabase.serverURL
        let admin = PostgresPool(configuration: PostgresConfiguration(url: serverURL), logger: logger)
        do {
            try await admin.withConnection { connection in
                if try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [.init(Self.databaseName)], step: "find bench database").isEmpty {
                    try connection.execute("CREATE DATABASE \(Self.databaseName)", step: "create bench database")
                }
            }
            await admin.close()
        } catch {
            await admin.close()
            throw error
        }
        let url = TestDatabase.replacingDatabase(in: serverURL, with: Self.databaseName)
        if let file = Self.environment["LEDGER_BENCH_URL_FILE"] {
            try Data((url + "\n").utf8).write(to: URL(fileURLWithPath: file))
        }

        let pool = PostgresPool(configuration: PostgresConfiguration(url: url), logger: logger)
        let committer = Committer(pool: pool, logger: logger)
        do {
            _ = try await Migrator.bundled().migrate(pool: pool, logger: logger)
            let existing = try await Self.walletEntries(pool: pool)
            if existing < entriesWanted {
                #expect(existing == 0, "the bench database holds a partial seed (\(existing) entries): drop \(Self.databaseName) and rerun")
                committer.start()
                try await Self.seed(entries: entriesWanted, committer: committer, logger: logger)
                await committer.shutdown()
            }
            #expect(try await Self.walletEntries(pool: pool) >= entriesWanted)
            await pool.close()
        } catch {
            await committer.shutdown()
            await pool.close()
            throw error
        }
    }

    static func walletEntries(pool: PostgresPool) async throws -> Int {
        try await pool.withConnection { connection in
            try connection.query(
                "SELECT count(e.*) FROM accounts a LEFT JOIN entries e ON e.account_id = a.id WHERE a.code = $1",
                [.init(walletCode)], step: "count bench entries"
            ).first?.int(0) ?? 0
        }
    }

    /// Every transfer touches the wallet once, alternately in and out, so the wallet gets one
    /// entry per transfer and its balance wanders around zero.
    static func seed(entries: Int, committer: Committer, logger: Logger) async throws {
        let euro = Currency("EUR")!
        let wallet = UUID.v7()
        let funding = UUID.v7()
        let opened = try await committer.submit(WriteRequest(commands: [
            .createAccount(NewAccount(id: wallet, code: walletCode, currency: euro, flags: [], metadata: nil)),
            .createAccount(NewAccount(id: funding, code: "bench:statement:funding", currency: euro, flags: [], metadata: nil)),
        ]))
        guard case .completed(let results, _) = opened, results.allSatisfy({ (try? $0.get()) != nil }) else {
            throw TestEnvironmentError(message: "could not open the bench accounts")
        }
        let perRequest = Limits.transfersPerBatchMax
        let requests = (entries + perRequest - 1) / perRequest
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for request in 0..<requests {
                if request >= requestsInFlightMax { try await group.next() }
                let first = request * perRequest
                let commands = (first..<min(first + perRequest, entries)).map { index -> LedgerCommand in
                    let amount = Int64(index % 997 + 1)
                    let inward = index % 2 == 0
                    return .createTransfer(NewTransfer(
                        id: .v7(), debitAccountID: inward ? funding : wallet, creditAccountID: inward ? wallet : funding,
                        amount: amount, currency: euro
                    ))
                }
                group.addTask {
                    guard case .completed(let results, _) = try await committer.submit(WriteRequest(commands: commands)),
                        results.allSatisfy({ (try? $0.get()) != nil })
                    else {
                        throw TestEnvironmentError(message: "a seed request was refused")
                    }
                }
                if request % 10 == 0 {
                    logger.notice("seeding", metadata: ["bench.requests": "\(request)/\(requests)", "bench.elapsed": "\(ContinuousClock.now - started)"])
                }
            }
            try await group.waitForAll()
        }
    }
}
