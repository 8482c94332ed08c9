import Foundation
import LedgerCore
import LedgerStore
import LedgerTestSupport
import Logging
import Postgres
import Testing

@Suite("Committer on Postgres")
struct CommitterTests {
    @Test("a posted transfer moves balances and writes two chained entries")
    func postedTransfer() async throws {
        try await StoreFixture.with(label: "posted") { store in
            let source = try await store.openAccount()
            let wallet = try await store.openAccount(flags: .debitsMustNotExceedCredits)
            let id = UUID.v7()
            let effect = try await store.run(.createTransfer(NewTransfer(
                id: id, debitAccountID: source, creditAccountID: wallet, amount: 1_500, currency: Currency("USD")!
            ))).get()
            guard case .transfer(let transfer, let entries, let changed) = effect else {
                Issue.record("expected a transfer effect")
                return
            }
            #expect(changed)
            #expect(transfer.status == .posted)
            #expect(entries.count == 2)

            let stored = try #require(try await store.reader.transfer(id: id))
            #expect(stored == transfer)
            let walletAccount = try #require(try await store.reader.account(id: wallet))
            #expect(walletAccount.balances.creditsPosted == 1_500)
            #expect(walletAccount.balances.posted == 1_500)
            let history = try await store.reader.entries(accountID: wallet, from: nil, to: nil, after: nil, limit: 10)
            #expect(history.items.map(\.balanceAfter) == [1_500])

            let books = try await store.loadBooks()
            #expect(chainViolations(entries: books.entries, chainHeads: books.chainHeads).isEmpty)
        }
    }

    @Test("rule violations are reported per command and write nothing")
    func rejectionsWriteNothing() async throws {
        try await StoreFixture.with(label: "reject") { store in
            let wallet = try await store.openAccount(flags: .debitsMustNotExceedCredits)
            let other = try await store.openAccount()
            let euro = try await store.openAccount("EUR")
            let usd = Currency("USD")!
            let cases: [(LedgerCommand, LedgerError.Code)] = [
                (.createTransfer(NewTransfer(id: .v7(), debitAccountID: wallet, creditAccountID: other, amount: 1, currency: usd)), .insufficientFunds),
                (.createTransfer(NewTransfer(id: .v7(), debitAccountID: other, creditAccountID: euro, amount: 1, currency: usd)), .currencyMismatch),
                (.createTransfer(NewTransfer(id: .v7(), debitAccountID: other, creditAccountID: other, amount: 1, currency: usd)), .sameAccount),
                (.createTransfer(NewTransfer(id: .v7(), debitAccountID: .v7(), creditAccountID: other, amount: 1, currency: usd)), .accountNotFound),
                (.postPending(id: .v7(), amount: nil), .transferNotFound),
            ]
            for (command, code) in cases {
                let result = try await store.run(command)
                #expect(throws: LedgerError.self) { try result.get() }
                if case .failure(let error) = result { #expect(error.code == code) }
            }
            let books = try await store.loadBooks()
            #expect(books.transfers.isEmpty)
            #expect(books.entries.isEmpty)
            #expect(books.accounts.allSatisfy { $0.balances == .zero })
        }
    }

    @Test("invariants 1-3 and 5: concurrent transfers from many tasks conserve money")
    func concurrentConservation() async throws {
        try await StoreFixture.with(label: "concurrent") { store in
            let source = try await store.openAccount()
            var wallets: [UUID] = []
            for _ in 0..<8 { wallets.append(try await store.openAccount(flags: .debitsMustNotExceedCredits)) }
            let usd = Currency("USD")!
            for wallet in wallets {
                _ = try await store.run(.createTransfer(NewTransfer(
                    id: .v7(), debitAccountID: source, creditAccountID: wallet, amount: 1_000, currency: usd
                ))).get()
            }
            let targets = wallets
            let tasks = 32
            let transfersPerTask = 40
            let outcomes = try await withThrowingTaskGroup(of: (ok: Int, refused: Int).self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        var generator = SplitMix64(seed: UInt64(task))
                        var ok = 0
                        var refused = 0
                        for _ in 0..<transfersPerTask {
                            let from = targets[Int(generator.next() % UInt64(targets.count))]
                            var to = targets[Int(generator.next() % UInt64(targets.count))]
                            if to == from { to = source }
                            let amount = Int64(generator.next() % 400) + 1
                            let result = try await store.run(.createTransfer(NewTransfer(
                                id: .v7(), debitAccountID: from, creditAccountID: to, amount: amount, currency: usd
                            )))
                            switch result {
                            case .success: ok += 1
                            case .failure(let error):
                                #expect(error.code == .insufficientFunds)
                                refused += 1
                            }
                        }
                        return (ok, refused)
                    }
                }
                return try await group.reduce(into: (ok: 0, refused: 0)) { $0.ok += $1.ok; $0.refused += $1.refused }
            }
            #expect(outcomes.ok + outcomes.refused == tasks * transfersPerTask)
            #expect(outcomes.ok > 0)

            let books = try await store.loadBooks()
            #expect(books.transfers.count == wallets.count + outcomes.ok)
            let violations = InvariantChecker.violations(accounts: books.accounts, transfers: books.transfers, entries: books.entries)
            #expect(violations.isEmpty, "\(violations)")
            #expect(chainViolations(entries: books.entries, chainHeads: books.chainHeads).isEmpty)

            // The database agrees with the reference model replaying the committed transfers
            // in sequence order.
            var model = ReferenceLedger()
            for account in books.accounts.sorted(by: { $0.createdAt < $1.createdAt }) {
                model.apply(.createAccount(NewAccount(id: account.id, code: account.code, currency: account.currency, flags: account.flags, metadata: nil)))
            }
            for transfer in books.transfers.sorted(by: { $0.sequence < $1.sequence }) {
                let replayed = model.apply(.createTransfer(NewTransfer(
                    id: transfer.id, debitAccountID: transfer.debitAccountID, creditAccountID: transfer.creditAccountID,
                    amount: transfer.amount, currency: transfer.currency
                )))
                #expect((try? replayed.get()) != nil, "transfer \(transfer.id) was committed but the model refuses it")
            }
            for account in books.accounts {
                #expect(model.accounts[account.id]?.balances == account.balances)
            }
        }
    }

    @Test("pending transfers: partial post, void, and expiry release holds")
    func pendingLifecycle() async throws {
        try await StoreFixture.with(label: "pending") { store in
            let source = try await store.openAccount()
            let wallet = try await store.openAccount(flags: .debitsMustNotExceedCredits)
            let merchant = try await store.openAccount()
            let usd = Currency("USD")!
            _ = try await store.run(.createTransfer(NewTransfer(id: .v7(), debitAccountID: source, creditAccountID: wallet, amount: 1_000, currency: usd))).get()

            let hold = UUID.v7()
            _ = try await store.run(.createTransfer(NewTransfer(id: hold, debitAccountID: wallet, creditAccountID: merchant, amount: 600, currency: usd, isPending: true))).get()
            var walletAccount = try #require(try await store.reader.account(id: wallet))
            #expect(walletAccount.balances.debitsPending == 600)
            #expect(walletAccount.balances.available == 400)

            // A second hold beyond what is available is refused, counting the first hold.
            let tooMuch = try await store.run(.createTransfer(NewTransfer(id: .v7(), debitAccountID: wallet, creditAccountID: merchant, amount: 500, currency: usd, isPending: true)))
            if case .failure(let error) = tooMuch { #expect(error.code == .insufficientFunds) } else { Issue.record("expected insufficient funds") }

            let overPost = try await store.run(.postPending(id: hold, amount: 601))
            if case .failure(let error) = overPost { #expect(error.code == .amountExceedsPending) } else { Issue.record("expected amount_exceeds_pending") }

            _ = try await store.run(.postPending(id: hold, amount: 250)).get()
            walletAccount = try #require(try await store.reader.account(id: wallet))
            #expect(walletAccount.balances.debitsPending == 0)
            #expect(walletAccount.balances.debitsPosted == 250)
            let again = try await store.run(.voidPending(id: hold))
            if case .failure(let error) = again { #expect(error.code == .transferNotPending) } else { Issue.record("expected transfer_not_pending") }

            let voided = UUID.v7()
            _ = try await store.run(.createTransfer(NewTransfer(id: voided, debitAccountID: wallet, creditAccountID: merchant, amount: 100, currency: usd, isPending: true))).get()
            _ = try await store.run(.voidPending(id: voided)).get()

            let expiring = UUID.v7()
            _ = try await store.run(.createTransfer(NewTransfer(id: expiring, debitAccountID: wallet, creditAccountID: merchant, amount: 100, currency: usd, isPending: true, timeoutSeconds: 1))).get()
            try await Task.sleep(for: .milliseconds(1_100))
            let late = try await store.run(.postPending(id: expiring, amount: nil))
            if case .failure(let error) = late { #expect(error.code == .pendingExpired) } else { Issue.record("expected pending_expired") }
            let sweeper = ExpirySweeper(reader: store.reader, committer: store.committer, logger: .init(label: "test"))
            #expect(try await sweeper.sweep() == 1)
            #expect(try await store.reader.transfer(id: expiring)?.status == .expired)
            walletAccount = try #require(try await store.reader.account(id: wallet))
            #expect(walletAccount.balances.debitsPending == 0)
            #expect(walletAccount.balances.available == 750)

            let books = try await store.loadBooks()
            #expect(InvariantChecker.violations(accounts: books.accounts, transfers: books.transfers, entries: books.entries).isEmpty)
        }
    }

    @Test("an atomic request with one failing command writes none of them")
    func atomicRequest() async throws {
        try await StoreFixture.with(label: "atomic") { store in
            let source = try await store.openAccount()
            let wallet = try await store.openAccount(flags: .debitsMustNotExceedCredits)
            let usd = Currency("USD")!
            let reply = try await store.committer.submit(WriteRequest(commands: [
                .createTransfer(NewTransfer(id: .v7(), debitAccountID: source, creditAccountID: wallet, amount: 10, currency: usd)),
                .createTransfer(NewTransfer(id: .v7(), debitAccountID: wallet, creditAccountID: source, amount: 11, currency: usd)),
            ], atomic: true))
            guard case .completed(let results, _) = reply else { Issue.record("expected completion"); return }
            #expect(results.count == 2)
            if case .failure(let error) = results[0] { #expect(error.code == .batchItemFailed) } else { Issue.record("item 0 must fail") }
            if case .failure(let error) = results[1] { #expect(error.code == .insufficientFunds) } else { Issue.record("item 1 must fail") }
            let books = try await store.loadBooks()
            #expect(books.transfers.isEmpty)
        }
    }

    @Test("idempotency keys: stored with the writes, replayed, and refused for another fingerprint")
    func idempotencyRows() async throws {
        try await StoreFixture.with(label: "idem") { store in
            let source = try await store.openAccount()
            let wallet = try await store.openAccount()
            let usd = Currency("USD")!
            let fingerprint = SHA256.hash(Array("body".utf8))
            func request(_ fingerprint: [UInt8]) -> WriteRequest {
                WriteRequest(
                    commands: [.createTransfer(NewTransfer(id: .v7(), debitAccountID: source, creditAccountID: wallet, amount: 5, currency: usd))],
                    idempotency: IdempotencyIntent(scope: "default", key: "k-1", fingerprint: fingerprint) { results in
                        StoredResponse(status: (try? results[0].get()) != nil ? 201 : 422, body: Array("{\"n\":\(results.count)}".utf8))
                    }
                )
            }
            // Many identical requests at once: exactly one runs; the others replay its response.
            let replies = try await withThrowingTaskGroup(of: WriteReply.self) { group in
                for _ in 0..<16 { group.addTask { try await store.committer.submit(request(fingerprint)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var completed = 0
            for reply in replies {
                switch reply {
                case .completed(_, let response): completed += 1; #expect(response?.status == 201)
                case .replayed(let response): #expect(response == StoredResponse(status: 201, body: Array("{\"n\":1}".utf8)))
                case .keyReused: Issue.record("same fingerprint must not be refused")
                }
            }
            #expect(completed == 1)
            let other = try await store.committer.submit(request(SHA256.hash(Array("other".utf8))))
            guard case .keyReused = other else { Issue.record("another fingerprint must be refused"); return }
            let books = try await store.loadBooks()
            #expect(books.transfers.count == 1)
        }
    }

    @Test("invariant 4: history refuses UPDATE and DELETE")
    func appendOnly() async throws {
        try await StoreFixture.with(label: "appendonly") { store in
            let source = try await store.openAccount()
            let wallet = try await store.openAccount()
            let id = UUID.v7()
            _ = try await store.run(.createTransfer(NewTransfer(id: id, debitAccountID: source, creditAccountID: wallet, amount: 7, currency: Currency("USD")!))).get()
            let statements = [
                "UPDATE entries SET amount = 8",
                "DELETE FROM entries",
                "UPDATE transfers SET amount = 8",
                "UPDATE transfers SET status = 'voided'",
                "DELETE FROM transfers",
                "DELETE FROM accounts",
                "UPDATE accounts SET currency = 'EUR'",
                "TRUNCATE entries CASCADE",
            ]
            for sql in statements {
                await #expect(throws: PostgresError.self, "\(sql) must be refused") {
                    try await store.database.pool.withConnection { connection in
                        try connection.execute(sql, step: "tamper")
                    }
                }
            }
            let books = try await store.loadBooks()
            #expect(books.entries.count == 2)
            #expect(books.transfers.first?.amount == 7)
        }
    }

    @Test("a transfer or entry naming an account or transfer that does not exist is refused")
    func danglingReferences() async throws {
        try await StoreFixture.with(label: "references") { store in
            let source = try await store.openAccount()
            let wallet = try await store.openAccount()
            // A pending transfer has no entries yet, so an entry for it collides with nothing.
            let id = UUID.v7()
            _ = try await store.run(.createTransfer(NewTransfer(
                id: id, debitAccountID: source, creditAccountID: wallet, amount: 7, currency: Currency("USD")!, isPending: true
            ))).get()
            let ghost = UUID.v7()
            let hash = "'\\x\(String(repeating: "00", count: 32))'::bytea"
            let transfer = "INSERT INTO transfers (id, sequence, debit_account_id, credit_account_id, amount, currency, is_pending,"
                + " status, posted_amount, created_at) VALUES"
            let entry = "INSERT INTO entries (sequence, account_id, transfer_id, direction, amount, balance_after, created_at, hash) VALUES"
            let statements = [
                // One good row and one bad in the same statement: the statement is refused whole.
                "\(transfer) ('\(UUID.v7())', nextval('ledger_sequence'), '\(source)', '\(wallet)', 1, 'USD', false, 'posted', 1, now()),"
                    + " ('\(UUID.v7())', nextval('ledger_sequence'), '\(source)', '\(ghost)', 1, 'USD', false, 'posted', 1, now())",
                "\(transfer) ('\(UUID.v7())', nextval('ledger_sequence'), '\(ghost)', '\(wallet)', 1, 'USD', false, 'posted', 1, now())",
                "\(entry) (nextval('ledger_sequence'), '\(ghost)', '\(id)', 'debit', 7, 0, now(), \(hash))",
                "\(entry) (nextval('ledger_sequence'), '\(source)', '\(ghost)', 'debit', 7, 0, now(), \(hash))",
            ]
            for sql in statements {
                do {
                    try await store.database.pool.withConnection { connection in
                        try connection.execute(sql, step: "dangling")
                    }
                    Issue.record("\(sql) was accepted")
                } catch let error as PostgresError {
                    #expect(error.sqlState == SQLState.foreignKeyViolation, "\(error)")
                }
            }
            let books = try await store.loadBooks()
            #expect(books.transfers.count == 1)
            #expect(books.entries.isEmpty)
        }
    }

    @Test("idempotency keys past retention are purged")
    func purge() async throws {
        try await StoreFixture.with(label: "purge") { store in
            try await store.database.pool.withConnection { connection in
                _ = try connection.query(
                    "INSERT INTO idempotency_keys (scope, key, fingerprint, status_code, response_body, created_at)"
                        + " VALUES ('default', 'old', $1, 201, '\\x00', now() - interval '2 days'),"
                        + " ('default', 'new', $1, 201, '\\x00', now())",
                    [.init(bytes: SHA256.hash([1]))], step: "seed keys"
                )
            }
            let purger = IdempotencyPurger(pool: store.database.pool, logger: .init(label: "test"))
            #expect(try await purger.purge() == 1)
            let left = try await store.database.pool.withConnection { connection in
                try connection.query("SELECT key FROM idempotency_keys", step: "read keys").map { try $0.string(0) }
            }
            #expect(left == ["new"])
        }
    }

    @Test("migrations: a second run applies nothing; an edited migration is refused")
    func migrations() async throws {
        try await StoreFixture.with(label: "migrate") { store in
            let migrator = try Migrator.bundled()
            #expect(try await migrator.migrate(pool: store.database.pool, logger: .init(label: "test")).isEmpty)
            try await store.database.pool.withConnection { connection in
                try connection.execute("UPDATE schema_migrations SET checksum = '\\x00' WHERE version = 1", step: "edit checksum")
            }
            await #expect(throws: Migrator.Failure.self) {
                try await migrator.migrate(pool: store.database.pool, logger: .init(label: "test"))
            }
        }
    }
}
