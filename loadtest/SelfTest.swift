import ArgumentParser
import Foundation
import LedgerCore
import Histogram

/// Checks of the harness's own logic that need no server: argument parsing, reproducible
/// request generation, histogram and report rendering, and the books check on synthetic
/// outcomes. `loadtest --self-test` runs them and prints "N passed, N failed".
enum SelfTest {
    static func run() async -> Int {
        var results: [(String, [String])] = []
        for (name, check) in self.checks {
            var failures: [String] = []
            await check(&failures)
            results.append((name, failures))
            print((failures.isEmpty ? "ok    " : "FAIL  ") + name)
            for failure in failures {
                print("        " + failure)
            }
        }
        let failed = results.filter { !$0.1.isEmpty }.count
        print("\(results.count - failed) passed, \(failed) failed")
        return failed
    }

    typealias Check = @Sendable (inout [String]) async -> Void

    static let checks: [(String, Check)] = [
        ("arguments parse into a configuration", arguments),
        ("invalid arguments are refused", invalidArguments),
        ("durations parse with units", durations),
        ("same seed gives the same requests", reproducible),
        ("another run id changes ids but not the plan", runIDs),
        ("time-ordered ids grow in the order they are made", timeOrderedIDs),
        ("scenarios have their shape", scenarioShapes),
        ("replays resend an earlier key and body", replays),
        ("knowledge merges and classification", knowledge),
        ("histogram percentiles and report rendering", reportRendering),
        ("books check passes sound books", booksSound),
        ("books check catches each kind of violation", booksViolations),
        ("books check resolves unknown outcomes", booksUnknown),
        ("replay comparison catches differing bytes", replayComparison),
        ("batch answers are read per item", batchParsing),
    ]

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String, _ failures: inout [String]) {
        if !condition { failures.append(message()) }
    }

    static func arguments(_ failures: inout [String]) {
        do {
            let command = try LoadtestCommand.parse([
                "--url", "http://a:1", "--url", "http://b:2/", "--api-key", "k", "--scenario", "hot", "--rate", "250",
                "--duration", "10s", "--warmup", "500ms", "--seed", "7", "--run-id", "ff", "--accounts", "50", "--hot", "5",
                "--max-requests", "100", "--json", "/tmp/x.json",
            ])
            let configuration = try command.makeConfiguration()
            expect(configuration.baseURLs == ["http://a:1", "http://b:2/"], "urls \(configuration.baseURLs)", &failures)
            expect(configuration.scenario == .hot, "scenario", &failures)
            expect(configuration.loadModel == .open(ratePerSecond: 250), "load model", &failures)
            expect(configuration.duration == .seconds(10) && configuration.warmup == .milliseconds(500), "durations", &failures)
            expect(configuration.seed == 7 && configuration.runID == 255, "seed and run id", &failures)
            expect(configuration.accountCount == 50 && configuration.hotAccountCount == 5, "accounts", &failures)
            expect(configuration.requestsMax == 100 && configuration.jsonPath == "/tmp/x.json", "limits and paths", &failures)
            let closed = try LoadtestCommand.parse(["--api-key", "k"]).makeConfiguration()
            expect(closed.loadModel == .closed && closed.concurrency == 16 && closed.baseURLs == ["http://127.0.0.1:8080"], "defaults", &failures)
        } catch {
            failures.append("parse failed: \(error)")
        }
    }

    static func invalidArguments(_ failures: inout [String]) {
        let cases: [[String]] = [
            ["--api-key", "k", "--accounts", "1"],
            ["--api-key", "k", "--hot-share", "1.5"],
            ["--api-key", "k", "--batch-size", "9000"],
            ["--api-key", "k", "--url", "ftp://x"],
            ["--api-key", "k", "--rate", "0"],
            ["--api-key", "k", "--hot", "20", "--accounts", "10"],
            ["--api-key", "k", "--scenario", "nonsense"],
            ["--api-key", "k", "--duration", "-3"],
        ]
        for arguments in cases {
            if let command = try? LoadtestCommand.parse(arguments), (try? command.makeConfiguration()) != nil {
                failures.append("accepted \(arguments.joined(separator: " "))")
            }
        }
    }

    static func durations(_ failures: inout [String]) {
        expect(DurationArgument(argument: "30")?.duration == .seconds(30), "30", &failures)
        expect(DurationArgument(argument: "30s")?.duration == .seconds(30), "30s", &failures)
        expect(DurationArgument(argument: "250ms")?.duration == .milliseconds(250), "250ms", &failures)
        expect(DurationArgument(argument: "2m")?.duration == .seconds(120), "2m", &failures)
        expect(DurationArgument(argument: "abc") == nil, "abc", &failures)
    }

    static func settings(_ scenario: Scenario, urls: Int = 1, idOrder: IDOrder = .random) -> WorkloadGenerator.Settings {
        WorkloadGenerator.Settings(
            scenario: scenario, currency: "USD", amountMax: 1_000, hotAccountCount: 4, hotShare: 0.9,
            replayShare: 0.2, readRatio: 0.5, batchSize: 7, voidShare: 0.3, idOrder: idOrder, urlCount: urls,
            replayLagRequests: 8, requestsMax: nil
        )
    }

    static func sample(
        _ scenario: Scenario, seed: UInt64, runID: UInt64 = 1, count: Int = 500, urls: Int = 1, idOrder: IDOrder = .random
    ) -> [PlannedOperation] {
        let accounts = AccountSet(count: 40, seed: seed, runID: runID)
        var generator = WorkloadGenerator(
            settings: settings(scenario, urls: urls, idOrder: idOrder), accounts: accounts.flagged, seed: seed, runID: runID)
        return (0..<count).compactMap { _ in generator.next() }
    }

    static func fingerprint(_ operations: [PlannedOperation]) -> [String] {
        operations.flatMap { operation in
            [operation.first] + (operation.followUp.map { [$0] } ?? [])
        }.map { "\($0.method.rawValue) \($0.path) \($0.idempotencyKey ?? "-") \($0.urlIndex) " + String(decoding: $0.body ?? [], as: UTF8.self) }
    }

    static func reproducible(_ failures: inout [String]) {
        for scenario in Scenario.allCases {
            let first = fingerprint(sample(scenario, seed: 42, urls: 3))
            let again = fingerprint(sample(scenario, seed: 42, urls: 3))
            let other = fingerprint(sample(scenario, seed: 43, urls: 3))
            expect(first == again, "\(scenario): the same seed gave other requests", &failures)
            expect(first != other, "\(scenario): another seed gave the same requests", &failures)
            expect(Set(first.compactMap { $0.split(separator: " ")[2] == "-" ? nil : String($0.split(separator: " ")[2]) }).count > 1, "\(scenario): keys", &failures)
        }
    }

    static func timeOrderedIDs(_ failures: inout [String]) {
        for scenario in [Scenario.uniform, .batch] {
            let operations = sample(scenario, seed: 9, runID: 0xABCDEF, count: 300, idOrder: .timeOrdered)
            // Keys and transfer ids share one sequence, in the order the generator made them.
            let made = operations.flatMap { operation in
                operation.first.role.createdTransfers.map { $0.id.lowercasedString } + [operation.first.idempotencyKey ?? ""]
            }
            expect(made.count > 300, "\(scenario): only \(made.count) ids", &failures)
            expect(zip(made, made.dropFirst()).allSatisfy { $0 < $1 }, "\(scenario): ids do not grow as they are made", &failures)
            for id in made {
                let characters = Array(id)
                expect(characters[14] == "7" && "89ab".contains(characters[19]), "\(id) is not in version 7 layout", &failures)
            }
            let again = sample(scenario, seed: 9, runID: 0xABCDEF, count: 300, idOrder: .timeOrdered)
            expect(fingerprint(again) == fingerprint(operations), "\(scenario): time-ordered ids are not reproducible", &failures)
            let other = sample(scenario, seed: 9, runID: 0x123456_0000_0000, count: 300, idOrder: .timeOrdered)
            expect(other.first?.first.idempotencyKey != operations.first?.first.idempotencyKey, "\(scenario): keys equal across run ids", &failures)
        }
    }

    static func runIDs(_ failures: inout [String]) {
        let one = sample(.uniform, seed: 5, runID: 1, count: 50)
        let two = sample(.uniform, seed: 5, runID: 2, count: 50)
        let amounts = { (operations: [PlannedOperation]) in operations.flatMap { $0.first.role.createdTransfers.map(\.amount) } }
        expect(amounts(one) == amounts(two), "amounts differ between run ids", &failures)
        expect(one[0].first.idempotencyKey != two[0].first.idempotencyKey, "keys equal across run ids", &failures)
        expect(AccountSet(count: 3, seed: 5, runID: 1).all != AccountSet(count: 3, seed: 5, runID: 2).all, "account ids equal across run ids", &failures)
    }

    static func scenarioShapes(_ failures: inout [String]) {
        let accounts = AccountSet(count: 40, seed: 9, runID: 1).flagged
        let hotSet = Set(accounts.prefix(4))
        let hot = sample(.hot, seed: 9, count: 2_000).flatMap { $0.first.role.createdTransfers }
        let bothHot = hot.filter { hotSet.contains($0.debitAccountID) && hotSet.contains($0.creditAccountID) }.count
        expect(Double(bothHot) / Double(hot.count) > 0.85, "hot share \(bothHot)/\(hot.count)", &failures)
        expect(hot.allSatisfy { $0.debitAccountID != $0.creditAccountID && (1...1_000).contains($0.amount) }, "pairs distinct, amounts in range", &failures)

        let batch = sample(.batch, seed: 9, count: 20)
        expect(batch.allSatisfy { $0.first.path == "/v1/transfers/batch" && $0.first.role.createdTransfers.count == 7 }, "batch size", &failures)
        let batchBody = String(decoding: batch[0].first.body ?? [], as: UTF8.self)
        expect(batchBody.hasSuffix("],\"atomic\":false}") && (try? JSONSerialization.jsonObject(with: Data(batchBody.utf8))) != nil, "batch body \(batchBody.prefix(80))", &failures)

        let pending = sample(.pending, seed: 9, count: 300)
        expect(pending.allSatisfy { $0.followUp != nil && $0.first.role.createdTransfers.first?.pending == true }, "pending operations have a follow-up", &failures)
        let voids = pending.filter { $0.followUp?.path.hasSuffix("/void") == true }.count
        expect(voids > 50 && voids < 150, "void share \(voids)/300", &failures)

        let mixed = sample(.mixed, seed: 9, count: 1_000)
        let reads = mixed.filter { $0.first.method == .get }.count
        expect(reads > 400 && reads < 600, "read ratio \(reads)/1000", &failures)

        let spread = sample(.uniform, seed: 9, count: 9, urls: 3).map(\.first.urlIndex)
        expect(spread == [0, 1, 2, 0, 1, 2, 0, 1, 2], "round robin \(spread)", &failures)

        var limited = WorkloadGenerator(settings: { var s = settings(.uniform); s.requestsMax = 3; return s }(), accounts: accounts, seed: 1, runID: 1)
        let produced = (0..<10).compactMap { _ in limited.next() }.count
        expect(produced == 3, "max requests gave \(produced)", &failures)
    }

    static func replays(_ failures: inout [String]) {
        let operations = sample(.replay, seed: 11, count: 1_000)
        let bySerial = Dictionary(uniqueKeysWithValues: operations.map { ($0.first.serial, $0.first) })
        var replays = 0
        for operation in operations {
            guard case .replay(let originalSerial, _) = operation.first.role else { continue }
            replays += 1
            guard let original = bySerial[originalSerial] else {
                failures.append("replay of unknown serial \(originalSerial)")
                continue
            }
            expect(original.idempotencyKey == operation.first.idempotencyKey && original.body == operation.first.body && original.path == operation.first.path,
                   "replay #\(operation.first.serial) differs from #\(originalSerial)", &failures)
            expect(operation.first.serial - originalSerial > 8, "replay lag", &failures)
        }
        expect(replays > 120 && replays < 280, "replay share \(replays)/1000", &failures)
    }

    static func answer(_ status: Int, _ body: String = "{}", replayed: Bool = false, code: String? = nil) -> Attempt {
        .answered(HTTPAnswer(status: status, body: Array(body.utf8), replayed: replayed, retryAfterSeconds: nil, problemCode: code))
    }

    static func exchange(_ attempt: Attempt, sawTransportError: Bool = false) -> Exchange {
        Exchange(final: attempt, attempts: 1, retryReasons: [], sawTransportError: sawTransportError)
    }

    static func knowledge(_ failures: inout [String]) {
        expect(exchange(answer(201)).knowledge == .acknowledged, "201", &failures)
        expect(exchange(answer(422, code: "insufficient_funds")).knowledge == .refused(status: 422, code: "insufficient_funds"), "422", &failures)
        expect(exchange(answer(503, code: "unavailable")).knowledge == .notCommitted(status: 503, code: "unavailable"), "503", &failures)
        expect(exchange(answer(503), sawTransportError: true).knowledge == .unknown, "503 after a timeout", &failures)
        expect(exchange(.failed(transportError: "timeout")).knowledge == .unknown, "timeout", &failures)
        expect(exchange(answer(409, code: "idempotency_key_in_flight")).knowledge == .notCommitted(status: 409, code: "idempotency_key_in_flight"), "409 in flight", &failures)
        expect(Knowledge.unknown.merged(with: .acknowledged) == .acknowledged, "unknown + ack", &failures)
        expect(Knowledge.notCommitted(status: 503, code: nil).merged(with: .unknown) == .unknown, "not committed + unknown", &failures)
        expect(LedgerClient.retryReason(answer(503)) != nil && LedgerClient.retryReason(answer(422)) == nil, "retry reasons", &failures)
    }

    static func reportRendering(_ failures: inout [String]) {
        let recorder = Recorder()
        for value in 1...1_000 {
            recorder.record(latency: .microseconds(value * 10), exchange: exchange(answer(201)), kind: "create_transfer", transfersAcknowledged: 1, measured: true)
        }
        recorder.record(latency: .milliseconds(5), exchange: exchange(answer(422, code: "insufficient_funds")), kind: "create_transfer", transfersAcknowledged: 0, measured: true)
        recorder.record(latency: .milliseconds(5), exchange: exchange(.failed(transportError: "timeout")), kind: "create_transfer", transfersAcknowledged: 0, measured: false)
        let second = recorder.closeSecond(0)
        expect(second.requests == 1_001 && second.transfers == 1_000, "second \(second)", &failures)
        let histogram = recorder.histogram
        let p50 = histogram.valueAtPercentile(50)
        expect(abs(Int(p50) - 5_000) <= 10, "p50 \(p50)", &failures)
        expect(histogram.max >= 9_990 && histogram.max <= 10_010, "max \(histogram.max)", &failures)

        var configuration = try! LoadtestCommand.parse(["--api-key", "k", "--duration", "2"]).makeConfiguration()
        configuration.runID = 0xabc
        let summary = LoadRunner.Summary(measuredElapsed: .seconds(2), operations: 1_002, operationsDelayed: 0)
        let report = RunReport.make(configuration: configuration, startedAt: Date(), setup: nil, summary: summary, recorder: recorder, books: nil)
        expect(report.requests == 1_001 && report.warmupRequests == 1 && abs(report.requestsPerSecond - 500.5) < 0.01, "rates", &failures)
        expect(report.statusCounts["201"] == 1_000 && report.problemCounts["insufficient_funds"] == 1, "counts", &failures)
        let table = report.table()
        expect(table.contains("p99") && table.contains("insufficient_funds 1") && table.contains("result: PASSED"), "table", &failures)
        let html = report.html()
        expect(html.contains("<svg") && html.contains("Latency by percentile") && html.contains("polyline") && !html.contains("http://www.w3.org/2000/svg\" src"), "html", &failures)
        expect(!html.contains("<script") && !html.contains("https://"), "html is self-contained", &failures)
        do {
            let decoded = try JSONDecoder().decode(RunReport.self, from: report.json())
            expect(decoded.latencyMicroseconds.p50 == report.latencyMicroseconds.p50 && decoded.timeline.count == 1, "json round trip", &failures)
        } catch {
            failures.append("json: \(error)")
        }
        expect(Format.latency(999) == "999 µs" && Format.latency(1_500) == "1.50 ms" && Format.latency(2_500_000) == "2.50 s", "latency format", &failures)
    }

    /// A ledger in memory standing in for the server's answers, so the check's logic can be
    /// tried on outcomes made up to contain each kind of fault.
    struct MemoryLedger: TransferLookup, BalanceLookup {
        var stored: [UUID: ObservedTransfer]
        var shownBalances: [UUID: ResponseParser.AccountBalances]?
        var others: [ObservedTransfer]? = nil

        var method: String { "memory" }

        func lookUp(ids: [UUID], accounts: [UUID]) async throws -> TransferLookupResult {
            TransferLookupResult(found: self.stored.filter { ids.contains($0.key) }, others: self.others, duplicated: [])
        }

        func balances(accounts: [UUID]) async throws -> [UUID: ResponseParser.AccountBalances] {
            self.shownBalances ?? BooksCheck.expectedBalances(Array(self.stored.values), accounts: accounts)
        }
    }

    static func observed(_ intent: TransferIntent, status: String, posted: Int64) -> ObservedTransfer {
        ObservedTransfer(id: intent.id, debitAccountID: intent.debitAccountID, creditAccountID: intent.creditAccountID,
                         amount: intent.amount, pending: intent.pending, status: status, postedAmount: posted)
    }

    struct Fixture {
        var accounts: [UUID]
        var records: [TransferRecord]
        var stored: [UUID: ObservedTransfer]
    }

    /// Four transfers: posted, refused, pending then partly posted, pending then voided.
    static func fixture() -> Fixture {
        var ids = SeededGenerator(seed: 3)
        let accounts = (0..<3).map { _ in ids.uuid() }
        let posted = TransferIntent(id: ids.uuid(), debitAccountID: accounts[0], creditAccountID: accounts[1], amount: 100, pending: false)
        let refused = TransferIntent(id: ids.uuid(), debitAccountID: accounts[1], creditAccountID: accounts[2], amount: 7, pending: false)
        let partly = TransferIntent(id: ids.uuid(), debitAccountID: accounts[2], creditAccountID: accounts[0], amount: 50, pending: true)
        let voided = TransferIntent(id: ids.uuid(), debitAccountID: accounts[0], creditAccountID: accounts[2], amount: 30, pending: true)
        let records = [
            TransferRecord(intent: posted, creation: .acknowledged, action: nil, actionKnowledge: nil),
            TransferRecord(intent: refused, creation: .refused(status: 422, code: "insufficient_funds"), action: nil, actionKnowledge: nil),
            TransferRecord(intent: partly, creation: .acknowledged, action: .post(amount: 20), actionKnowledge: .acknowledged),
            TransferRecord(intent: voided, creation: .acknowledged, action: .void, actionKnowledge: .acknowledged),
        ]
        let stored = [
            posted.id: observed(posted, status: "posted", posted: 100),
            partly.id: observed(partly, status: "posted", posted: 20),
            voided.id: observed(voided, status: "voided", posted: 0),
        ]
        return Fixture(accounts: accounts, records: records, stored: stored)
    }

    static func check(_ fixture: Fixture, ledger: MemoryLedger, replay: OutcomeBook.ReplayStatistics = .init()) async -> BooksCheck.Result {
        await BooksCheck(records: fixture.records, accounts: fixture.accounts, transfers: ledger, balances: ledger,
                         replay: replay, runViolations: (0, []), audit: .skipped("no database")).run()
    }

    static func booksSound(_ failures: inout [String]) async {
        let fixture = fixture()
        let result = await check(fixture, ledger: MemoryLedger(stored: fixture.stored, shownBalances: nil))
        expect(result.passed, "sound books failed: \(result.violations)", &failures)
        expect(result.acknowledged == 3 && result.refused == 1, "counts \(result.acknowledged) \(result.refused)", &failures)
        let balances = BooksCheck.expectedBalances(Array(fixture.stored.values), accounts: fixture.accounts)
        expect(balances[fixture.accounts[0]] == ResponseParser.AccountBalances(debitsPending: 0, debitsPosted: 100, creditsPending: 0, creditsPosted: 20),
               "balances of account 0: \(balances[fixture.accounts[0]]!.summary)", &failures)
    }

    static func booksViolations(_ failures: inout [String]) async {
        let fixture = fixture()
        var missing = fixture.stored
        missing.removeValue(forKey: fixture.records[0].intent.id)
        let outcome1 = await check(fixture, ledger: MemoryLedger(stored: missing, shownBalances: nil))
        expect(!outcome1.passed, "a missing acknowledged transfer passed", &failures)

        var extra = fixture.stored
        extra[fixture.records[1].intent.id] = observed(fixture.records[1].intent, status: "posted", posted: 7)
        let outcome2 = await check(fixture, ledger: MemoryLedger(stored: extra, shownBalances: nil))
        expect(!outcome2.passed, "a refused transfer in the ledger passed", &failures)

        var wrongAmount = fixture.stored
        wrongAmount[fixture.records[2].intent.id]?.postedAmount = 50
        let outcome3 = await check(fixture, ledger: MemoryLedger(stored: wrongAmount, shownBalances: nil))
        expect(!outcome3.passed, "a wrong posted amount passed", &failures)

        var shown = BooksCheck.expectedBalances(Array(fixture.stored.values), accounts: fixture.accounts)
        shown[fixture.accounts[1]]?.creditsPosted += 1
        let skewed = await check(fixture, ledger: MemoryLedger(stored: fixture.stored, shownBalances: shown))
        expect(!skewed.passed && skewed.violations.contains { $0.contains(fixture.accounts[1].lowercasedString) }, "a wrong balance passed", &failures)

        let stranger = observed(TransferIntent(id: UUID(), debitAccountID: fixture.accounts[0], creditAccountID: fixture.accounts[1], amount: 1, pending: false), status: "posted", posted: 1)
        let outcome4 = await check(fixture, ledger: MemoryLedger(stored: fixture.stored, shownBalances: nil, others: [stranger]))
        expect(!outcome4.passed, "an unasked transfer passed", &failures)

        let mismatch = await check(fixture, ledger: MemoryLedger(stored: fixture.stored, shownBalances: nil), replay: .init(compared: 2, identical: 1, inconclusive: 0, mismatches: 1))
        expect(!mismatch.passed, "a replay mismatch passed", &failures)
    }

    static func booksUnknown(_ failures: inout [String]) async {
        var fixture = fixture()
        var ids = SeededGenerator(seed: 4)
        let landed = TransferIntent(id: ids.uuid(), debitAccountID: fixture.accounts[1], creditAccountID: fixture.accounts[0], amount: 9, pending: false)
        let lost = TransferIntent(id: ids.uuid(), debitAccountID: fixture.accounts[1], creditAccountID: fixture.accounts[0], amount: 11, pending: false)
        fixture.records.append(TransferRecord(intent: landed, creation: .unknown, action: nil, actionKnowledge: nil))
        fixture.records.append(TransferRecord(intent: lost, creation: .unknown, action: nil, actionKnowledge: nil))
        fixture.records[3].actionKnowledge = .unknown
        fixture.stored[landed.id] = observed(landed, status: "posted", posted: 9)
        fixture.stored[fixture.records[3].intent.id] = observed(fixture.records[3].intent, status: "pending", posted: 0)
        let result = await check(fixture, ledger: MemoryLedger(stored: fixture.stored, shownBalances: nil))
        expect(result.passed, "unknown outcomes failed: \(result.violations)", &failures)
        expect(result.unknown == 2 && result.unknownLanded.count == 1 && result.unknownNotLanded == [lost.id.lowercasedString], "landed \(result.unknownLanded) lost \(result.unknownNotLanded)", &failures)

        var impossible = fixture.stored
        impossible[landed.id]?.postedAmount = 3
        let outcome5 = await check(fixture, ledger: MemoryLedger(stored: impossible, shownBalances: nil))
        expect(!outcome5.passed, "an impossible state passed", &failures)
    }

    static func replayComparison(_ failures: inout [String]) {
        let intent = TransferIntent(id: UUID(), debitAccountID: UUID(), creditAccountID: UUID(), amount: 5, pending: false)
        let original = PlannedRequest(serial: 1, method: .post, path: "/v1/transfers", body: [], idempotencyKey: "k", urlIndex: 0, role: .createTransfer(intent))
        let replay = PlannedRequest(serial: 9, method: .post, path: "/v1/transfers", body: [], idempotencyKey: "k", urlIndex: 0, role: .replay(originalSerial: 1, original: .createTransfer(intent)))
        let replay2 = PlannedRequest(serial: 10, method: .post, path: "/v1/transfers", body: [], idempotencyKey: "k", urlIndex: 0, role: .replay(originalSerial: 1, original: .createTransfer(intent)))
        let book = OutcomeBook(keepAnswersForReplay: true)
        // The replay's answer arrives first: it waits for the original's.
        book.record(replay, exchange(answer(201, "{\"id\":1}", replayed: true)))
        book.record(original, exchange(answer(201, "{\"id\":1}")))
        book.record(replay2, exchange(answer(201, "{\"id\":2}", replayed: true)))
        let statistics = book.replayStatistics
        expect(statistics.compared == 2 && statistics.identical == 1 && statistics.mismatches == 1, "statistics \(statistics)", &failures)
        expect(book.violations.count == 1, "violations \(book.violations)", &failures)
        expect(book.transfers.count == 1 && book.transfers[0].creation == .acknowledged, "booked once", &failures)
    }

    static func batchParsing(_ failures: inout [String]) {
        let body = #"{"results":[{"status":201,"transfer":{"id":"x"}},{"status":422,"error":{"code":"insufficient_funds"}}]}"#
        let items = ResponseParser.batchItems(Array(body.utf8))
        expect(items == [ResponseParser.BatchItem(succeeded: true, status: 201, code: nil), ResponseParser.BatchItem(succeeded: false, status: 422, code: "insufficient_funds")], "items \(String(describing: items))", &failures)
        let account = #"{"id":"a","debits_pending":1,"debits_posted":2,"credits_pending":3,"credits_posted":4,"posted":2,"available":1}"#
        expect(ResponseParser.accountBalances(Array(account.utf8)) == ResponseParser.AccountBalances(debitsPending: 1, debitsPosted: 2, creditsPending: 3, creditsPosted: 4), "account", &failures)
    }
}

