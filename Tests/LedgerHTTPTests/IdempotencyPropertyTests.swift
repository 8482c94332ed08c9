import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerCore
@testable import LedgerHTTP
@testable import LedgerStore
import LedgerTestSupport
import NIOCore
import Postgres
import Redis
import Testing

/// PRODUCT.md §3 as a property of the running application: a generated program of distinct
/// logical requests, each with its own Idempotency-Key, is sent with random duplication,
/// interleaving and concurrency, with retries that reuse a key for another body, and with the
/// Redis cache flushed part way. Afterwards every key must have had exactly one effect and
/// every answer to its original body must be the same bytes.
///
/// Each failure prints its seed and the generated program; replay it with
/// `make proptest SEED=<seed> ITERATIONS=1`.
@Suite("Idempotency property: duplicate keys and retries against the running app")
struct IdempotencyPropertyTests {
    static let environment = ProcessInfo.processInfo.environment
    /// Each iteration migrates a fresh database and sends a few hundred requests, about a second.
    static let iterations = Int(environment["PROPTEST_ITERATIONS"] ?? "") ?? 4
    static let baseSeed = UInt64(environment["PROPTEST_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64(UInt32.max))
    /// The Redis database index this suite alone uses, so its FLUSHDB disturbs no other test.
    static let redisDatabase = 14

    @Test("exactly one effect per distinct key, identical replay bytes")
    func duplicatesAndRetries() async throws {
        for iteration in 0..<Self.iterations {
            let seed = Self.baseSeed &+ UInt64(iteration) &* 7_919
            let outcome = try await run(seed: seed)
            // A plain Bool, so the failure shows the message below rather than a dump of the array.
            let holds = outcome.problems.isEmpty
            #expect(
                holds,
                """
                idempotency property failed; replay with `make proptest SEED=\(seed) ITERATIONS=1` \
                (PROPTEST_SEED=\(seed) PROPTEST_ITERATIONS=1):
                \(outcome.problems.joined(separator: "\n"))
                generated program:
                \(outcome.program)
                """
            )
            if !holds { return }
            if Self.environment["PROPTEST_VERBOSE"] != nil { print("seed \(seed): \(outcome.coverage)") }
        }
    }

    // MARK: - The generated program

    /// Account slots: 0 is an unlimited source, 1...3 are wallets that may not overdraw, 4 holds EUR.
    static let sourceSlot = 0
    static let walletSlots = 1...3
    static let euroSlot = 4
    static let slotCount = 5

    /// One logical request; its key is sent one to four times with this exact body.
    enum Kind: Sendable, CustomStringConvertible {
        case transfer(debit: Int, credit: Int, amount: Int64)
        case hold(id: UUID, debit: Int, credit: Int, amount: Int64)
        /// Posts the hold created by logical request `hold`, in full when `amount` is nil.
        case post(hold: Int, amount: Int64?)
        case void(hold: Int)
        case unknownAccount(debit: Int, amount: Int64)
        case currencyMismatch(debit: Int, amount: Int64)
        case zeroAmount(debit: Int, credit: Int)
        case malformed

        var description: String {
            switch self {
            case .transfer(let debit, let credit, let amount): "transfer \(debit)→\(credit) \(amount)"
            case .hold(let id, let debit, let credit, let amount): "hold \(id) \(debit)→\(credit) \(amount)"
            case .post(let hold, let amount): "post #\(hold) \(amount.map(String.init) ?? "whole")"
            case .void(let hold): "void #\(hold)"
            case .unknownAccount(let debit, let amount): "to an unknown account from \(debit) \(amount)"
            case .currencyMismatch(let debit, let amount): "USD \(debit)→EUR account \(amount)"
            case .zeroAmount(let debit, let credit): "zero amount \(debit)→\(credit)"
            case .malformed: "malformed JSON"
            }
        }
    }

    struct Logical: Sendable {
        var kind: Kind
        var key: String
        var sends: Int
        var mismatchedRetry: Bool
    }

    /// One step of a lane: a send of logical request `index` (with its own or a different body), or FLUSHDB.
    enum Step: Sendable, CustomStringConvertible {
        case send(index: Int, mismatched: Bool)
        case flush

        var description: String {
            switch self {
            case .send(let index, let mismatched): mismatched ? "#\(index)'" : "#\(index)"
            case .flush: "FLUSHDB"
            }
        }
    }

    struct Program: Sendable, CustomStringConvertible {
        var logicals: [Logical]
        /// Phase 1 sends every key at least once; phase 2, after all of phase 1 finished, sends
        /// the remaining duplicates and the retries with other bodies.
        var phases: [[[Step]]]
        var unknownAccount: UUID
        var accounts: [UUID] = []

        var description: String {
            var lines = ["accounts (slot: id): " + accounts.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: ", ")]
            for (index, logical) in logicals.enumerated() {
                lines.append("  #\(index) key \(logical.key): \(logical.kind), sent \(logical.sends)×\(logical.mismatchedRetry ? ", plus one retry with another body" : "")")
            }
            for (number, lanes) in phases.enumerated() {
                for (lane, steps) in lanes.enumerated() {
                    lines.append("  phase \(number + 1) lane \(lane): " + steps.map(\.description).joined(separator: " "))
                }
            }
            return lines.joined(separator: "\n")
        }

        static func generate(seed: UInt64, runID: String) -> Program {
            var random = SplitMix64(seed: seed)
            func pick(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
            func chance(_ percent: Int) -> Bool { pick(1...100) <= percent }
            func usdPair() -> (Int, Int) {
                let slots = [sourceSlot] + Array(walletSlots)
                let debit = slots.randomElement(using: &random)!
                let credit = slots.filter { $0 != debit }.randomElement(using: &random)!
                return (debit, credit)
            }

            let count = pick(12...28)
            var logicals: [Logical] = []
            var holds: [Int] = []
            for index in 0..<count {
                let kind: Kind
                let roll = pick(1...100)
                switch roll {
                case 1...40:
                    let (debit, credit) = usdPair()
                    kind = .transfer(debit: debit, credit: credit, amount: Int64(pick(1...400)))
                case 41...55:
                    let (debit, credit) = usdPair()
                    var bytes = [UInt8](repeating: 0, count: 16)
                    for position in bytes.indices { bytes[position] = UInt8.random(in: 0...255, using: &random) }
                    // Version 4, RFC 9562 variant: a valid UUID chosen by the generator, so replays repeat it.
                    bytes[6] = bytes[6] & 0x0F | 0x40
                    bytes[8] = bytes[8] & 0x3F | 0x80
                    let id = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                                         bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
                    kind = .hold(id: id, debit: debit, credit: credit, amount: Int64(pick(1...300)))
                    holds.append(index)
                case 56...75 where !holds.isEmpty:
                    let hold = holds.randomElement(using: &random)!
                    if chance(60) {
                        guard case .hold(_, _, _, let amount) = logicals[hold].kind else { fatalError("holds lists only holds") }
                        kind = .post(hold: hold, amount: chance(50) ? nil : Int64(pick(1...Int(amount))))
                    } else {
                        kind = .void(hold: hold)
                    }
                case 76...82:
                    kind = .unknownAccount(debit: usdPair().0, amount: Int64(pick(1...50)))
                case 83...89:
                    kind = .currencyMismatch(debit: usdPair().0, amount: Int64(pick(1...50)))
                case 90...94:
                    let (debit, credit) = usdPair()
                    kind = .zeroAmount(debit: debit, credit: credit)
                case 95...100:
                    kind = .malformed
                default:
                    let (debit, credit) = usdPair()
                    kind = .transfer(debit: debit, credit: credit, amount: Int64(pick(1...400)))
                }
                logicals.append(Logical(kind: kind, key: "prop-\(runID)-\(index)", sends: pick(1...4), mismatchedRetry: chance(30)))
            }

            var phaseOne: [Step] = []
            var phaseTwo: [Step] = []
            for (index, logical) in logicals.enumerated() {
                phaseOne.append(.send(index: index, mismatched: false))
                for _ in 1..<logical.sends {
                    if chance(65) {
                        phaseOne.append(.send(index: index, mismatched: false))
                    } else {
                        phaseTwo.append(.send(index: index, mismatched: false))
                    }
                }
                // Another body only once the original has run: before that, it would be the first use.
                if logical.mismatchedRetry { phaseTwo.append(.send(index: index, mismatched: true)) }
            }
            phaseOne.shuffle(using: &random)
            phaseTwo.shuffle(using: &random)
            let flushPhase = pick(0...3)
            if flushPhase == 0 { phaseOne.insert(.flush, at: pick(0...phaseOne.count)) }
            if flushPhase == 1 { phaseTwo.insert(.flush, at: pick(0...phaseTwo.count)) }
            let laneCount = pick(2...6)
            func deal(_ steps: [Step]) -> [[Step]] {
                var lanes = Array(repeating: [Step](), count: laneCount)
                for step in steps { lanes[pick(0...(laneCount - 1))].append(step) }
                return lanes
            }
            var unknown = [UInt8](repeating: 0, count: 16)
            for position in unknown.indices { unknown[position] = UInt8.random(in: 0...255, using: &random) }
            unknown[6] = unknown[6] & 0x0F | 0x40
            unknown[8] = unknown[8] & 0x3F | 0x80
            let unknownID = UUID(uuid: (unknown[0], unknown[1], unknown[2], unknown[3], unknown[4], unknown[5], unknown[6], unknown[7],
                                        unknown[8], unknown[9], unknown[10], unknown[11], unknown[12], unknown[13], unknown[14], unknown[15]))
            return Program(logicals: logicals, phases: [deal(phaseOne), deal(phaseTwo)], unknownAccount: unknownID)
        }

        /// The path and body of a send; `mismatched` changes the fingerprint but keeps the key.
        func request(_ index: Int, mismatched: Bool) -> (path: String, body: String) {
            func transfer(_ debit: UUID, _ credit: UUID, _ amount: Int64, currency: String = "USD", extra: String = "") -> String {
                #"{"debit_account_id":"\#(debit)","credit_account_id":"\#(credit)","amount":\#(amount),"currency":"\#(currency)"\#(extra)}"#
            }
            let bump: Int64 = mismatched ? 1 : 0
            switch logicals[index].kind {
            case .transfer(let debit, let credit, let amount):
                return ("/v1/transfers", transfer(accounts[debit], accounts[credit], amount + bump))
            case .hold(let id, let debit, let credit, let amount):
                return ("/v1/transfers", transfer(accounts[debit], accounts[credit], amount + bump, extra: #","id":"\#(id)","pending":true,"timeout_seconds":3600"#))
            case .post(let hold, let amount):
                guard case .hold(let id, _, _, _) = logicals[hold].kind else { fatalError("a post names a hold") }
                if mismatched { return ("/v1/transfers/\(id)/post", #"{"amount":\#((amount ?? 0) + 1)}"#) }
                return ("/v1/transfers/\(id)/post", amount.map { #"{"amount":\#($0)}"# } ?? "")
            case .void(let hold):
                guard case .hold(let id, _, _, _) = logicals[hold].kind else { fatalError("a void names a hold") }
                // Another path is another fingerprint; were it run, it would post the hold.
                return (mismatched ? "/v1/transfers/\(id)/post" : "/v1/transfers/\(id)/void", "")
            case .unknownAccount(let debit, let amount):
                return ("/v1/transfers", transfer(accounts[debit], unknownAccount, amount + bump))
            case .currencyMismatch(let debit, let amount):
                return ("/v1/transfers", transfer(accounts[debit], accounts[euroSlot], amount + bump))
            case .zeroAmount(let debit, let credit):
                return ("/v1/transfers", transfer(accounts[debit], accounts[credit], bump))
            case .malformed:
                return ("/v1/transfers", mismatched ? #"{"amount": 2.0"# : #"{"amount": 1.0"#)
            }
        }
    }

    /// What one send got back, with when it ran.
    struct Sent: Sendable {
        var index: Int
        var mismatched: Bool
        var start: ContinuousClock.Instant
        var end: ContinuousClock.Instant
        var status: Int
        var bytes: [UInt8]
        var replayed: Bool
        var code: String?

        var text: String { String(decoding: bytes, as: UTF8.self) }
        var isInFlight: Bool { status == 409 && code == "idempotency_key_in_flight" }
    }

    // MARK: - One run

    func run(seed: UInt64) async throws -> (problems: [String], program: Program, coverage: String) {
        let runID = String(UUID().uuidString.prefix(8)).lowercased()
        let generated = Program.generate(seed: seed, runID: runID)
        return try await LedgerHarness.with(label: "idemprop", redisDatabase: Self.redisDatabase) { harness in
            _ = try await harness.redis.command(["FLUSHDB"])
            let (program, sent, setup) = try await harness.test { client in
                var accounts: [UUID] = []
                accounts.append(try await client.createAccount())
                for _ in Self.walletSlots {
                    accounts.append(try await client.createAccount(flags: #"{"debits_must_not_exceed_credits":true}"#))
                }
                accounts.append(try await client.createAccount(currency: "EUR"))
                var funding: [(slot: Int, amount: Int64)] = []
                var random = SplitMix64(seed: seed ^ 0xF00D)
                for slot in Self.walletSlots {
                    let amount = Int64.random(in: 100...800, using: &random)
                    try await client.transfer(from: accounts[Self.sourceSlot], to: accounts[slot], amount: amount)
                    funding.append((slot, amount))
                }
                var program = generated
                program.accounts = accounts
                var sent: [Sent] = []
                for lanes in program.phases {
                    sent += try await Self.send(lanes, program: program, client: client, harness: harness)
                }
                return (program, sent, funding)
            }
            let problems = try await Self.check(program: program, sent: sent, funding: setup, harness: harness)
            // What the run exercised, printed with PROPTEST_VERBOSE=1 to see that the cases occur.
            let tally = Dictionary(grouping: sent) { "\($0.status)\($0.code.map { " " + $0 } ?? "")\($0.replayed ? " replayed" : "")" }
                .map { "\($0.key): \($0.value.count)" }.sorted().joined(separator: ", ")
            let coverage = "\(program.logicals.count) keys, \(sent.count) sends, \(program.phases[0].count) lanes; \(tally)"
            return (problems, program, coverage)
        }
    }

    /// Runs the lanes of one phase concurrently, each lane's steps in order.
    static func send(_ lanes: [[Step]], program: Program, client: any TestClientProtocol, harness: LedgerHarness) async throws -> [Sent] {
        try await withThrowingTaskGroup(of: [Sent].self) { group in
            for steps in lanes {
                group.addTask {
                    var results: [Sent] = []
                    for step in steps {
                        switch step {
                        case .flush:
                            _ = try await harness.redis.command(["FLUSHDB"])
                        case .send(let index, let mismatched):
                            let (path, body) = program.request(index, mismatched: mismatched)
                            let start = ContinuousClock.now
                            let response = try await client.post(path, body, key: program.logicals[index].key)
                            let end = ContinuousClock.now
                            let code: String? = if response.headers[.contentType] == "application/problem+json",
                                                   case .object(let members)? = try? response.json(),
                                                   case .string(let text)? = members.first(where: { $0.key == "code" })?.value { text } else { nil }
                            results.append(Sent(
                                index: index, mismatched: mismatched, start: start, end: end, status: response.status.code,
                                bytes: response.bytes, replayed: response.headers[IdempotencyKey.replayedHeaderName] == "true", code: code
                            ))
                        }
                    }
                    return results
                }
            }
            var all: [Sent] = []
            for try await results in group { all += results }
            return all
        }
    }

    // MARK: - The checks

    static func check(program: Program, sent: [Sent], funding: [(slot: Int, amount: Int64)], harness: LedgerHarness) async throws -> [String] {
        var problems: [String] = []
        let byIndex = Dictionary(grouping: sent, by: \.index)
        /// The one answer each key gives its original body, once it has run.
        var answers: [Int: Sent] = [:]

        for (index, logical) in program.logicals.enumerated() {
            let all = byIndex[index, default: []]
            let label = "#\(index) (\(logical.kind))"
            // A 409 in flight is only right while another request with the key was running.
            for response in all where response.isInFlight {
                let overlapping = all.contains { other in
                    other.start != response.start && other.start < response.end && response.start < other.end
                }
                if !overlapping { problems.append("\(label): idempotency_key_in_flight with no other request of its key running") }
            }
            for response in all where response.status >= 500 {
                problems.append("\(label): \(response.status) \(response.text)")
            }
            for response in all where response.mismatched && !response.isInFlight {
                if response.status != 422 || response.code != "idempotency_key_reused" {
                    problems.append("\(label): another body with the same key got \(response.status) \(response.text), not 422 idempotency_key_reused")
                }
            }
            let originals = all.filter { !$0.mismatched && !$0.isInFlight }
            guard let first = originals.first else {
                problems.append("\(label): no send of the original body got an answer other than in flight")
                continue
            }
            if Set(originals.map { [UInt8](String($0.status).utf8) + [0] + $0.bytes }).count != 1 {
                let distinct = Set(originals.map { "\($0.status) \($0.text)" }).sorted()
                problems.append("\(label): \(originals.count) answers to one key differ:\n    " + distinct.joined(separator: "\n    "))
            }
            let fresh = originals.filter { !$0.replayed }.count
            if fresh != 1 {
                problems.append("\(label): \(fresh) of \(originals.count) answers are not marked replayed; exactly one request may run")
            }
            let allowed: Set<Int> = switch logical.kind {
            case .transfer, .hold: [201, 422]
            case .post, .void: [200, 404, 409]
            case .unknownAccount: [404]
            case .currencyMismatch: [422]
            case .zeroAmount, .malformed: [400, 422]
            }
            if !allowed.contains(first.status) {
                problems.append("\(label): answered \(first.status) \(first.text), expected one of \(allowed.sorted())")
            }
            answers[index] = first
        }

        // The fold of the answers: what the books must hold if each key took effect at most once.
        var expected = Array(repeating: Balances.zero, count: slotCount)
        for (slot, amount) in funding {
            expected[sourceSlot].debitsPosted += Int128(amount)
            expected[slot].creditsPosted += Int128(amount)
        }
        var createdIDs: [UUID] = []
        var holdOutcome: [Int: (index: Int, posted: Int64?)] = [:]
        for (index, logical) in program.logicals.enumerated() {
            guard let answer = answers[index], answer.status == 200 || answer.status == 201 else { continue }
            switch logical.kind {
            case .transfer(let debit, let credit, let amount):
                expected[debit].debitsPosted += Int128(amount)
                expected[credit].creditsPosted += Int128(amount)
                if case .object(let members)? = try? JSONParser.parse(answer.bytes),
                   case .string(let text)? = members.first(where: { $0.key == "id" })?.value, let id = UUID(uuidString: text) {
                    createdIDs.append(id)
                } else {
                    problems.append("#\(index): a 201 without an id: \(answer.text)")
                }
            case .hold(let id, let debit, let credit, let amount):
                expected[debit].debitsPending += Int128(amount)
                expected[credit].creditsPending += Int128(amount)
                createdIDs.append(id)
            case .post(let hold, let amount):
                guard case .hold(_, _, _, let whole) = program.logicals[hold].kind else { continue }
                if let earlier = holdOutcome[hold] {
                    problems.append("#\(index): hold #\(hold) was resolved twice, also by #\(earlier.index)")
                }
                holdOutcome[hold] = (index, amount ?? whole)
            case .void(let hold):
                if let earlier = holdOutcome[hold] {
                    problems.append("#\(index): hold #\(hold) was resolved twice, also by #\(earlier.index)")
                }
                holdOutcome[hold] = (index, nil)
            case .unknownAccount, .currencyMismatch, .zeroAmount, .malformed:
                problems.append("#\(index) (\(logical.kind)): answered \(answer.status) \(answer.text)")
            }
        }
        for (hold, outcome) in holdOutcome {
            guard case .hold(_, let debit, let credit, let amount) = program.logicals[hold].kind, answers[hold]?.status == 201 else {
                problems.append("#\(outcome.index) resolved hold #\(hold), which was never created")
                continue
            }
            expected[debit].debitsPending -= Int128(amount)
            expected[credit].creditsPending -= Int128(amount)
            if let posted = outcome.posted {
                expected[debit].debitsPosted += Int128(posted)
                expected[credit].creditsPosted += Int128(posted)
            }
        }

        let books = try await loadBooks(harness.database.pool)
        let transferCounts = Dictionary(grouping: books.transfers, by: \.id).mapValues(\.count)
        for id in createdIDs where transferCounts[id] != 1 {
            problems.append("transfer \(id) answered 201 but is stored \(transferCounts[id] ?? 0) times")
        }
        let transferCountExpected = funding.count + createdIDs.count
        if books.transfers.count != transferCountExpected {
            problems.append("\(books.transfers.count) transfers stored, \(transferCountExpected) expected (\(funding.count) funding + \(createdIDs.count) answered 201)")
        }
        let accountsByID = Dictionary(uniqueKeysWithValues: books.accounts.map { ($0.id, $0) })
        for (slot, id) in program.accounts.enumerated() {
            let stored = accountsByID[id]?.balances
            if stored != expected[slot] {
                problems.append("account slot \(slot) (\(id)) holds \(stored.map { "\($0)" } ?? "nothing"), the answers fold to \(expected[slot])")
            }
        }
        if books.accounts.count != slotCount {
            problems.append("\(books.accounts.count) accounts stored, \(slotCount) expected")
        }
        // Setup requests (accounts and funding) and every program key store one response each.
        let keys = try await harness.count("idempotency_keys")
        let keysExpected = slotCount + funding.count + program.logicals.count
        if keys != keysExpected {
            problems.append("\(keys) idempotency keys stored, \(keysExpected) expected")
        }
        problems += InvariantChecker.violations(accounts: books.accounts, transfers: books.transfers, entries: books.entries).map(\.description)
        return problems
    }

    /// Every account, transfer and entry, read straight from Postgres.
    static func loadBooks(_ pool: PostgresPool) async throws -> (accounts: [Account], transfers: [Transfer], entries: [Entry]) {
        try await pool.withConnection { connection in
            let accounts = try connection.query("SELECT \(Columns.account) FROM accounts", step: "load accounts").map { try StoredAccount(row: $0).account }
            let transfers = try connection.query("SELECT \(Columns.transfer) FROM transfers", step: "load transfers").map { try Transfer(row: $0) }
            let entries = try connection.query("SELECT \(Columns.entry) FROM entries ORDER BY sequence", step: "load entries").map { try Entry(row: $0) }
            return (accounts, transfers, entries)
        }
    }
}
