import Foundation
import LedgerCore
import LedgerStore
import LedgerTestSupport
import Logging
import Testing

/// Generated programs run through the committer from several tasks at once; afterwards the
/// database must agree with the reference model replaying the committed operations in commit
/// order, and every invariant must hold. Each run prints its seed when it fails; replay it with
/// `make proptest SEED=<seed>`.
@Suite("Store properties under concurrency")
struct StorePropertyTests {
    static let environment = ProcessInfo.processInfo.environment
    static let iterations = Int(environment["PROPTEST_ITERATIONS"] ?? "") ?? 3
    static let baseSeed = UInt64(environment["PROPTEST_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64(UInt32.max))

    enum Shape: String, CaseIterable {
        /// Many accounts, transfers spread out.
        case spread
        /// Two or three accounts take everything: the hot-account case.
        case hot
        /// Requests grouped into multi-command atomic and non-atomic batches.
        case batched
    }

    /// How a group's transfers and entries reach the database.
    enum WritePath: String, CaseIterable {
        /// `INSERT … SELECT FROM unnest(…)` in the committing pipeline: what small groups use.
        case statements
        /// Binary COPY, which large groups use; here every group that creates a transfer does.
        case copy

        var configuration: Committer.Configuration {
            var configuration = Committer.Configuration()
            configuration.copyTransfersMin = self == .copy ? 1 : Int.max
            return configuration
        }
    }

    @Test("invariants 1, 2, 3, 5, 6 and 7 hold after concurrent programs", arguments: Shape.allCases, WritePath.allCases)
    func programs(shape: Shape, path: WritePath) async throws {
        for iteration in 0..<Self.iterations {
            let seed = Self.baseSeed &+ UInt64(iteration) &* 7_919
            let problems = try await runProgram(shape: shape, path: path, seed: seed)
            #expect(problems.isEmpty, "shape \(shape.rawValue), \(path.rawValue) failed; replay with PROPTEST_SEED=\(seed) PROPTEST_ITERATIONS=1:\n\(problems.joined(separator: "\n"))")
            if !problems.isEmpty { return }
        }
    }

    /// Runs one generated program and returns every discrepancy found.
    func runProgram(shape: Shape, path: WritePath, seed: UInt64) async throws -> [String] {
        try await StoreFixture.with(label: "prop\(shape.rawValue)\(path.rawValue)", configuration: path.configuration) { store in
            var generator = SplitMix64(seed: seed)
            let usd = Currency("USD")!
            let source = try await store.openAccount()
            let creditLine = try await store.openAccount(flags: .creditsMustNotExceedDebits)
            let euro = try await store.openAccount("EUR")
            let walletCount = shape == .hot ? 2 + Int(generator.next() % 2) : 6 + Int(generator.next() % 6)
            var wallets: [UUID] = []
            for _ in 0..<walletCount {
                let wallet = try await store.openAccount(flags: .debitsMustNotExceedCredits)
                wallets.append(wallet)
                let funding = Int64(generator.next() % 2_000) + 100
                _ = try await store.run(.createTransfer(NewTransfer(id: .v7(), debitAccountID: source, creditAccountID: wallet, amount: funding, currency: usd))).get()
            }
            // The credit line may only be credited after it has been debited.
            _ = try await store.run(.createTransfer(NewTransfer(id: .v7(), debitAccountID: creditLine, creditAccountID: source, amount: 500, currency: usd))).get()

            let taskCount = 8
            let commandsPerTask = 30
            let programs: [[WriteRequest]] = (0..<taskCount).map { task in
                var local = SplitMix64(seed: seed &+ UInt64(task + 1) &* 104_729)
                return ProgramGenerator(
                    wallets: wallets, source: source, creditLine: creditLine, euro: euro, batched: shape == .batched
                ).requests(count: commandsPerTask, using: &local)
            }

            try await withThrowingTaskGroup(of: Void.self) { group in
                for program in programs {
                    group.addTask {
                        for request in program {
                            _ = try await store.committer.submit(request)
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await Task.sleep(for: .milliseconds(1_100))
            _ = try await ExpirySweeper(reader: store.reader, committer: store.committer, logger: Logger(label: "test")).sweep()

            let books = try await store.loadBooks()
            var problems = InvariantChecker.violations(accounts: books.accounts, transfers: books.transfers, entries: books.entries)
                .map(\.description)
            problems += chainViolations(entries: books.entries, chainHeads: books.chainHeads)
            problems += replayInCommitOrder(books: books)
            return problems
        }
    }

    /// Replays what committed, in commit order, through the reference model: every operation
    /// must be accepted and the final balances must match. Creations and posts are ordered by
    /// sequence; releases without entries (void, expiry) by their time, before anything else
    /// at the same instant, which can only make the model more permissive, never stricter.
    func replayInCommitOrder(books: (accounts: [Account], transfers: [Transfer], entries: [Entry], chainHeads: [UUID: [UInt8]])) -> [String] {
        enum Event { case create(Transfer), post(Transfer), release(Transfer) }
        var events: [(time: Date, rank: Int, sequence: Int64, sub: Int, event: Event)] = []
        var postSequence: [UUID: Int64] = [:]
        var postTime: [UUID: Date] = [:]
        for entry in books.entries {
            postSequence[entry.transferID] = min(postSequence[entry.transferID] ?? .max, entry.sequence)
            postTime[entry.transferID] = entry.createdAt
        }
        for transfer in books.transfers {
            events.append((transfer.createdAt, 1, transfer.sequence, 0, .create(transfer)))
            switch transfer.status {
            case .posted where transfer.isPending:
                events.append((postTime[transfer.id] ?? transfer.createdAt, 1, postSequence[transfer.id] ?? .max, 0, .post(transfer)))
            case .voided, .expired:
                let resolved = transfer.resolvedAt ?? transfer.createdAt
                if resolved == transfer.createdAt {
                    // Released in the group that created it: right after its creation.
                    events.append((resolved, 1, transfer.sequence, 1, .release(transfer)))
                } else {
                    events.append((resolved, 0, 0, 0, .release(transfer)))
                }
            default:
                break
            }
        }
        events.sort { ($0.time, $0.rank, $0.sequence, $0.sub) < ($1.time, $1.rank, $1.sequence, $1.sub) }

        var model = ReferenceLedger(now: Date(timeIntervalSince1970: 0))
        for account in books.accounts {
            model.apply(.createAccount(NewAccount(id: account.id, code: account.code, currency: account.currency, flags: account.flags, metadata: nil)))
        }
        var problems: [String] = []
        for (_, _, _, _, event) in events {
            let result: Result<LedgerEffect, LedgerError>
            switch event {
            case .create(let transfer):
                result = model.apply(.createTransfer(NewTransfer(
                    id: transfer.id, debitAccountID: transfer.debitAccountID, creditAccountID: transfer.creditAccountID,
                    amount: transfer.amount, currency: transfer.currency, isPending: transfer.isPending
                )))
            case .post(let transfer):
                result = model.apply(.postPending(id: transfer.id, amount: transfer.postedAmount))
            case .release(let transfer):
                result = model.apply(.voidPending(id: transfer.id))
            }
            if case .failure(let error) = result {
                problems.append("committed operation refused by the model: \(event) → \(error)")
            }
        }
        for account in books.accounts where model.accounts[account.id]?.balances != account.balances {
            problems.append("account \(account.id): database \(account.balances), model \(String(describing: model.accounts[account.id]?.balances))")
        }
        return problems
    }
}

/// Random requests over a fixed set of accounts, including deliberate rule violations.
struct ProgramGenerator {
    let wallets: [UUID]
    let source: UUID
    let creditLine: UUID
    let euro: UUID
    let batched: Bool

    func requests(count: Int, using generator: inout SplitMix64) -> [WriteRequest] {
        let usd = Currency("USD")!
        var pending: [UUID] = []
        var commands: [LedgerCommand] = []
        for _ in 0..<count {
            let roll = generator.next() % 100
            let from = wallets[Int(generator.next() % UInt64(wallets.count))]
            var to = wallets[Int(generator.next() % UInt64(wallets.count))]
            if to == from { to = source }
            let amount = Int64(generator.next() % 300) + 1
            switch roll {
            case 0..<40:
                commands.append(.createTransfer(NewTransfer(id: .v7(), debitAccountID: from, creditAccountID: to, amount: amount, currency: usd)))
            case 40..<60:
                let id = UUID.v7()
                let timeout: Int? = generator.next() % 4 == 0 ? 1 : nil
                commands.append(.createTransfer(NewTransfer(id: id, debitAccountID: from, creditAccountID: to, amount: amount, currency: usd, isPending: true, timeoutSeconds: timeout)))
                pending.append(id)
            case 60..<72 where !pending.isEmpty:
                let id = pending.remove(at: Int(generator.next() % UInt64(pending.count)))
                let partial: Int64? = generator.next() % 2 == 0 ? nil : Int64(generator.next() % 50) + 1
                commands.append(.postPending(id: id, amount: partial))
            case 72..<80 where !pending.isEmpty:
                let id = pending.remove(at: Int(generator.next() % UInt64(pending.count)))
                commands.append(.voidPending(id: id))
            case 80..<86:
                commands.append(.createTransfer(NewTransfer(id: .v7(), debitAccountID: source, creditAccountID: creditLine, amount: amount, currency: usd)))
            case 86..<90:
                commands.append(.createTransfer(NewTransfer(id: .v7(), debitAccountID: from, creditAccountID: euro, amount: amount, currency: usd)))
            case 90..<94:
                commands.append(.createTransfer(NewTransfer(id: .v7(), debitAccountID: from, creditAccountID: from, amount: amount, currency: usd)))
            case 94..<97:
                commands.append(.createTransfer(NewTransfer(id: .v7(), debitAccountID: from, creditAccountID: to, amount: amount * 1_000, currency: usd)))
            default:
                commands.append(.postPending(id: .v7(), amount: nil))
            }
        }
        guard batched else { return commands.map { WriteRequest(commands: [$0]) } }
        var requests: [WriteRequest] = []
        var index = 0
        while index < commands.count {
            let size = Int(generator.next() % 5) + 1
            let slice = Array(commands[index..<min(index + size, commands.count)])
            requests.append(WriteRequest(commands: slice, atomic: generator.next() % 2 == 0))
            index += size
        }
        return requests
    }
}
