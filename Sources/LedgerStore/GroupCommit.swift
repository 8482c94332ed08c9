import Foundation
import LedgerCore
import Metrics
import Postgres

/// One transaction's worth of write requests, run synchronously on a leased connection.
///
/// Two round trips: a pipeline of reads (idempotency keys, the accounts locked in id order,
/// the transfers named, the clock, sequence numbers) that also carries the BEGIN, then, after
/// the engine has run in memory, a pipeline of set-based writes that ends with the COMMIT.
/// A group that creates many transfers stores them and their entries with binary COPY first
/// (`writeCopying`), which takes a few more round trips and less of the server's time. The
/// statements are fixed texts, prepared once per connection. Each write's parameters are built
/// just before it is sent (the entries' hash chain, the stored responses), so the server
/// executes one write while the next is being built. `run` is re-entrant: a serialization
/// retry runs it again from the start on a fresh transaction.
struct GroupCommit {
    let requests: [WriteRequest]
    let phaseTimers: PhaseTimers
    /// Groups creating at least this many transfers write them and their entries with binary
    /// COPY (`writeCopying`); smaller ones write everything in one pipeline.
    let copyTransfersMin: Int

    /// Where an attempt's time goes, as `ledger_commit_phase_seconds{phase=…}`: the read round
    /// trip with its BEGIN, the engine in memory, and the write round trip with its COMMIT
    /// (during which the writes are built). What `ledger_commit_duration_seconds` holds beyond
    /// their sum is waiting for a connection and its thread, and for retries.
    struct PhaseTimers: Sendable {
        let read = Timer(label: "ledger_commit_phase_seconds", dimensions: [("phase", "read")])
        let apply = Timer(label: "ledger_commit_phase_seconds", dimensions: [("phase", "apply")])
        let write = Timer(label: "ledger_commit_phase_seconds", dimensions: [("phase", "write")])
    }

    private struct KeyID: Hashable {
        var scope: String
        var key: String
    }

    private struct StoredKey {
        var fingerprint: [UInt8]
        var response: StoredResponse
    }

    /// A key this group completes; its response is rendered while the writes before it run.
    private struct NewKey {
        var id: KeyID
        var intent: IdempotencyIntent
        var results: [Result<LedgerEffect, LedgerError>]
    }

    /// A request's reply, short of the responses that are rendered during the writes.
    private enum PendingReply {
        case final(WriteReply)
        case completed([Result<LedgerEffect, LedgerError>], newKey: Int?)
        /// The same key and fingerprint as an earlier request of this group.
        case sameAs(newKey: Int)
    }

    /// What the deferred write statements hand on to the ones after them and to the replies.
    private final class WriteState {
        var heads: [UUID: [UInt8]]
        var responses: [StoredResponse] = []

        init(heads: [UUID: [UInt8]]) {
            self.heads = heads
        }
    }

    func run(on connection: PostgresConnection) throws -> [WriteReply] {
        let started = ContinuousClock.now
        let reads = try connection.pipeline(readStatements(), step: "read group", prepared: true)
        let read = ContinuousClock.now
        phaseTimers.read.record(read - started)
        let storedKeys = try decodeKeys(reads[0])
        var chainHeads: [UUID: [UInt8]] = [:]
        var accounts: [Account] = []
        for row in Array(reads[1]) + Array(reads[2]) {
            let stored = try StoredAccount(row: row)
            chainHeads[stored.account.id] = stored.chainHead
            accounts.append(stored.account)
        }
        let transfers = try reads[3].map { try Transfer(row: $0) }
        let now = try reads[4][0].date(0)
        var sequences = SequenceAllocator(reserved: try reads[5].map { try $0.int64(0) }.sorted())

        var engine = LedgerEngine(accounts: accounts, transfers: transfers, now: now)
        var pending: [PendingReply] = []
        var newKeys: [NewKey] = []
        var keysInGroup: [KeyID: (fingerprint: [UInt8], newKey: Int)] = [:]
        pending.reserveCapacity(requests.count)

        for request in requests {
            if let intent = request.idempotency {
                let id = KeyID(scope: intent.scope, key: intent.key)
                if let earlier = storedKeys[id] {
                    pending.append(.final(earlier.fingerprint == intent.fingerprint ? .replayed(earlier.response) : .keyReused))
                    continue
                }
                if let earlier = keysInGroup[id] {
                    pending.append(earlier.fingerprint == intent.fingerprint ? .sameAs(newKey: earlier.newKey) : .final(.keyReused))
                    continue
                }
            }
            let results = apply(request, to: &engine, sequences: &sequences)
            if let intent = request.idempotency {
                let id = KeyID(scope: intent.scope, key: intent.key)
                keysInGroup[id] = (intent.fingerprint, newKeys.count)
                pending.append(.completed(results, newKey: newKeys.count))
                newKeys.append(NewKey(id: id, intent: intent, results: results))
            } else {
                pending.append(.completed(results, newKey: nil))
            }
        }

        let state = WriteState(heads: chainHeads)
        let applied = ContinuousClock.now
        phaseTimers.apply.record(applied - read)
        if engine.createdTransferIDs.count >= copyTransfersMin {
            try writeCopying(engine: engine, newKeys: newKeys, state: state, on: connection)
        } else {
            let writes = [
                openedAccountsStatement(engine), createdTransfersStatement(engine), resolvedTransfersStatement(engine),
                entriesStatement(engine, state: state), changedAccountsStatement(engine, state: state),
                idempotencyStatement(newKeys, state: state),
            ].compactMap { $0 }
            _ = try connection.pipeline(deferred: writes, step: "write group", committing: true, prepared: true)
        }
        phaseTimers.write.record(ContinuousClock.now - applied)
        return pending.map { reply in
            switch reply {
            case .final(let reply): reply
            case .completed(let results, let newKey): .completed(results, response: newKey.map { state.responses[$0] })
            case .sameAs(let newKey): .replayed(state.responses[newKey])
            }
        }
    }

    private func apply(
        _ request: WriteRequest, to engine: inout LedgerEngine, sequences: inout SequenceAllocator
    ) -> [Result<LedgerEffect, LedgerError>] {
        if request.atomic {
            switch engine.applyAtomically(request.commands, sequences: &sequences) {
            case .success(let effects):
                return effects.map { .success($0) }
            case .failure(let failure):
                return request.commands.indices.map { index in
                    index == failure.index
                        ? .failure(failure.error)
                        : .failure(LedgerError(.batchItemFailed, "not applied: item \(failure.index) of the atomic batch failed"))
                }
            }
        }
        return request.commands.map { engine.apply($0, sequences: &sequences) }
    }

    // MARK: - Reads

    private func readStatements() -> [(sql: String, params: [PostgresParameter])] {
        var scopes: [String?] = []
        var keys: [String?] = []
        var accountIDs: Set<UUID> = []
        var codes: Set<String> = []
        var transferIDs: Set<UUID> = []
        var sequencesNeeded = 0
        for request in requests {
            if let intent = request.idempotency {
                scopes.append(intent.scope)
                keys.append(intent.key)
            }
            for command in request.commands {
                accountIDs.formUnion(command.namedAccountIDs)
                if let id = command.transferID { transferIDs.insert(id) }
                if case .createAccount(let account) = command, let code = account.code { codes.insert(code) }
                sequencesNeeded += SequenceAllocator.upperBound(for: command)
            }
        }
        let transferIDList = PostgresParameter.array(Array(transferIDs))
        return [
            (
                "SELECT scope, key, fingerprint, status_code, response_body FROM idempotency_keys"
                    + " WHERE (scope, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                [.array(scopes), .array(keys)]
            ),
            // Every account the group touches, locked once and in id order so that groups of
            // several instances can wait for each other but never deadlock.
            (
                // The ids are gathered into one array first: an OR of `= ANY` and a subquery
                // makes the planner scan the whole table, under a lock, on every commit.
                "SELECT \(Columns.account) FROM accounts WHERE id = ANY(ARRAY("
                    + "SELECT unnest($1::uuid[])"
                    + " UNION SELECT debit_account_id FROM transfers WHERE id = ANY($2::uuid[])"
                    + " UNION SELECT credit_account_id FROM transfers WHERE id = ANY($2::uuid[])))"
                    + " ORDER BY id FOR NO KEY UPDATE",
                [.array(Array(accountIDs)), transferIDList]
            ),
            // Accounts holding a code that a new account asks for: the engine refuses the clash.
            (
                "SELECT \(Columns.account) FROM accounts WHERE code = ANY($1::text[]) AND NOT (id = ANY($2::uuid[]))",
                [.array(codes.map { Optional($0) }), .array(Array(accountIDs))]
            ),
            ("SELECT \(Columns.transfer) FROM transfers WHERE id = ANY($1::uuid[])", [transferIDList]),
            // Taken after the locks, so that per account created_at never decreases with sequence.
            ("SELECT clock_timestamp()", []),
            ("SELECT nextval('ledger_sequence') FROM generate_series(1, $1::int)", [PostgresParameter(sequencesNeeded)]),
        ]
    }

    private func decodeKeys(_ rows: PostgresRows) throws -> [KeyID: StoredKey] {
        var keys: [KeyID: StoredKey] = [:]
        for row in rows {
            keys[KeyID(scope: try row.string(0), key: try row.string(1))] = StoredKey(
                fingerprint: try row.bytes(2),
                response: StoredResponse(status: try row.int(3), body: try row.bytes(4))
            )
        }
        return keys
    }

    // MARK: - Writes

    private typealias Statement = (sql: String, params: [PostgresParameter])

    /// Writes a large group's transfers and entries with binary COPY, which the server stores
    /// for about two thirds of the CPU that `INSERT … SELECT FROM unnest(…)` costs it. COPY
    /// cannot run in pipeline mode, so this takes five round trips rather than one (six with
    /// new accounts): the new accounts in a pipeline, each COPY's start and end, and the rest
    /// in a pipeline that commits. For a group of hundreds of transfers the rows save far more
    /// than the round trips take. Each COPY is made in chunks while the server stores the chunk
    /// before. The order is the pipeline's: accounts before the transfers that name them,
    /// transfers before their entries, entries before the account update that moves the chain
    /// heads.
    private func writeCopying(engine: LedgerEngine, newKeys: [NewKey], state: WriteState, on connection: PostgresConnection) throws {
        if let opened = openedAccountsStatement(engine) {
            _ = try connection.pipeline(deferred: [opened], step: "write group accounts", prepared: true)
        }
        let created = engine.createdTransferIDs.compactMap { engine.transfers[$0] }
        let copiedTransfers = try Self.copy(
            created, columns: 15, into: "transfers (\(Self.transferColumns))", step: "write group transfers", on: connection
        ) { row, transfer in
            row.append(transfer.id)
            row.append(transfer.sequence)
            row.append(transfer.debitAccountID)
            row.append(transfer.creditAccountID)
            row.append(transfer.amount)
            row.append(transfer.currency.code)
            row.append(transfer.isPending)
            row.append(transfer.timeoutSeconds.map { Int32($0) })
            row.append(transfer.expiresAt)
            row.append(transfer.description)
            row.append(transfer.metadata)
            row.append(transfer.status.rawValue)
            row.append(transfer.postedAmount)
            row.append(transfer.createdAt)
            row.append(transfer.resolvedAt)
        }
        guard copiedTransfers == created.count else {
            throw StoreError(.internalFault, "COPY stored \(copiedTransfers) of \(created.count) transfers")
        }

        // A group of pending transfers alone has no entries to copy.
        if !engine.entries.isEmpty {
            // Each entry is chained to its account's previous one (invariant 5) as its chunk is
            // made, in the engine's order, which is sequence order and so the chain's.
            let copiedEntries = try Self.copy(
                engine.entries, columns: 8, into: "entries (\(Self.entryColumns))", step: "write group entries", on: connection
            ) { row, entry in
                let previous = state.heads[entry.accountID] ?? Entry.genesisHash
                let link = SHA256.hash(previous, entry.canonicalBytes)
                state.heads[entry.accountID] = link
                row.append(entry.sequence)
                row.append(entry.accountID)
                row.append(entry.transferID)
                row.append(entry.direction.rawValue)
                row.append(entry.amount)
                row.append(numeric: entry.balanceAfter)
                row.append(entry.createdAt)
                row.append(bytes: link)
            }
            guard copiedEntries == engine.entries.count else {
                throw StoreError(.internalFault, "COPY stored \(copiedEntries) of \(engine.entries.count) entries")
            }
        }

        let rest = [
            resolvedTransfersStatement(engine), changedAccountsStatement(engine, state: state), idempotencyStatement(newKeys, state: state),
        ].compactMap { $0 }
        _ = try connection.pipeline(deferred: rest, step: "write group", committing: true, prepared: true)
    }

    /// Rows per chunk of a streamed COPY: small enough that the server starts storing early,
    /// large enough that a chunk is one write of tens of kilobytes.
    static let copyChunkRows = 256

    /// Streams `rows` with binary COPY, each chunk made while the server stores the one before.
    /// Returns the number of rows the server stored.
    private static func copy<Row>(
        _ rows: [Row], columns: Int, into target: String, step: String, on connection: PostgresConnection,
        row append: (inout PostgresBinaryCopy, Row) -> Void
    ) throws(PostgresError) -> Int {
        var stream = PostgresBinaryCopy(columnCount: columns)
        var next = 0
        var finished = false
        return try connection.copyIn("COPY \(target) FROM STDIN (FORMAT binary)", step: step) {
            guard !finished else { return nil }
            let end = min(next + copyChunkRows, rows.count)
            while next < end {
                stream.beginRow()
                append(&stream, rows[next])
                next += 1
            }
            guard next == rows.count else { return stream.takeBytes() }
            finished = true
            return stream.finish()
        }
    }

    static let transferColumns = "id, sequence, debit_account_id, credit_account_id, amount, currency, is_pending,"
        + " timeout_seconds, expires_at, description, metadata, status, posted_amount, created_at, resolved_at"
    static let entryColumns = "sequence, account_id, transfer_id, direction, amount, balance_after, created_at, hash"

    private func openedAccountsStatement(_ engine: LedgerEngine) -> (() -> Statement)? {
        let opened = engine.openedAccountIDs.compactMap { engine.accounts[$0] }
        guard !opened.isEmpty else { return nil }
        return {
            (
                "INSERT INTO accounts (id, code, currency, flags, metadata, created_at)"
                    + " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[])",
                [
                    .array(opened.map(\.id)), .array(opened.map(\.code)), .array(opened.map { Optional($0.currency.code) }),
                    .array(opened.map { Int64($0.flags.rawValue) }), .array(opened.map(\.metadata)), .array(opened.map(\.createdAt)),
                ]
            )
        }
    }

    private func createdTransfersStatement(_ engine: LedgerEngine) -> (() -> Statement)? {
        let created = engine.createdTransferIDs.compactMap { engine.transfers[$0] }
        guard !created.isEmpty else { return nil }
        return {
            (
                "INSERT INTO transfers (\(Self.transferColumns))"
                    + " SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::uuid[], $5::bigint[], $6::text[],"
                    + " $7::boolean[], $8::int[], $9::timestamptz[], $10::text[], $11::text[], $12::text[], $13::bigint[],"
                    + " $14::timestamptz[], $15::timestamptz[])",
                [
                    .array(created.map(\.id)), .array(created.map(\.sequence)),
                    .array(created.map(\.debitAccountID)), .array(created.map(\.creditAccountID)),
                    .array(created.map(\.amount)), .array(created.map { Optional($0.currency.code) }),
                    .array(created.map { Optional($0.isPending ? "t" : "f") }),
                    .array(created.map { $0.timeoutSeconds.map(String.init) }),
                    .array(created.map { $0.expiresAt.map(PostgresParameter.timestampText) }),
                    .array(created.map(\.description)), .array(created.map(\.metadata)),
                    .array(created.map { Optional($0.status.rawValue) }), .array(created.map(\.postedAmount)),
                    .array(created.map(\.createdAt)),
                    .array(created.map { $0.resolvedAt.map(PostgresParameter.timestampText) }),
                ]
            )
        }
    }

    private func resolvedTransfersStatement(_ engine: LedgerEngine) -> (() -> Statement)? {
        let resolved = engine.resolvedTransferIDs.compactMap { engine.transfers[$0] }
        guard !resolved.isEmpty else { return nil }
        return {
            (
                "UPDATE transfers t SET status = u.status, posted_amount = u.posted_amount, resolved_at = u.resolved_at"
                    + " FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::timestamptz[]) AS u(id, status, posted_amount, resolved_at)"
                    + " WHERE t.id = u.id",
                [
                    .array(resolved.map(\.id)), .array(resolved.map { Optional($0.status.rawValue) }),
                    .array(resolved.map(\.postedAmount)), .array(resolved.compactMap(\.resolvedAt)),
                ]
            )
        }
    }

    /// The engine's entries, each chained to its account's previous one (invariant 5); moves
    /// `state.heads` along. The engine's entries are in sequence order, which is the chain's.
    private func chainedEntries(_ engine: LedgerEngine, state: WriteState) -> [Entry] {
        var entries = engine.entries
        for index in entries.indices {
            let accountID = entries[index].accountID
            let previous = state.heads[accountID] ?? Entry.genesisHash
            let link = SHA256.hash(previous, entries[index].canonicalBytes)
            entries[index].hash = link
            state.heads[accountID] = link
        }
        return entries
    }

    private func entriesStatement(_ engine: LedgerEngine, state: WriteState) -> (() -> Statement)? {
        guard !engine.entries.isEmpty else { return nil }
        return {
            let entries = chainedEntries(engine, state: state)
            return (
                "INSERT INTO entries (\(Self.entryColumns))"
                    + " SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::numeric[],"
                    + " $7::timestamptz[], $8::bytea[])",
                [
                    .array(entries.map(\.sequence)), .array(entries.map(\.accountID)), .array(entries.map(\.transferID)),
                    .array(entries.map { Optional($0.direction.rawValue) }), .array(entries.map(\.amount)),
                    .array(entries.map(\.balanceAfter)), .array(entries.map(\.createdAt)), .array(bytes: entries.map(\.hash)),
                ]
            )
        }
    }

    /// The rows are locked already, so the update's order does not matter. It follows the
    /// entries, whose chaining moves each account's chain head.
    private func changedAccountsStatement(_ engine: LedgerEngine, state: WriteState) -> (() -> Statement)? {
        let changed = engine.changedAccountIDs.compactMap { engine.accounts[$0] }
        guard !changed.isEmpty else { return nil }
        return {
            (
                "UPDATE accounts a SET debits_pending = u.dp, debits_posted = u.dpo, credits_pending = u.cp,"
                    + " credits_posted = u.cpo, chain_head = u.head"
                    + " FROM unnest($1::uuid[], $2::numeric[], $3::numeric[], $4::numeric[], $5::numeric[], $6::bytea[])"
                    + " AS u(id, dp, dpo, cp, cpo, head) WHERE a.id = u.id",
                [
                    .array(changed.map(\.id)), .array(changed.map(\.balances.debitsPending)),
                    .array(changed.map(\.balances.debitsPosted)), .array(changed.map(\.balances.creditsPending)),
                    .array(changed.map(\.balances.creditsPosted)),
                    .array(bytes: changed.map { state.heads[$0.id] ?? Entry.genesisHash }),
                ]
            )
        }
    }

    private func idempotencyStatement(_ newKeys: [NewKey], state: WriteState) -> (() -> Statement)? {
        guard !newKeys.isEmpty else { return nil }
        return {
            // Rendered here, last, while the server runs the writes before this one.
            state.responses = newKeys.map { key in
                let rendered = key.intent.render(key.results)
                precondition((200..<500).contains(rendered.status), "only 2xx and 4xx responses are stored for idempotency keys")
                return rendered
            }
            return (
                "INSERT INTO idempotency_keys (scope, key, fingerprint, status_code, response_body, created_at)"
                    + " SELECT s, k, f, c, b, now() FROM unnest($1::text[], $2::text[], $3::bytea[], $4::smallint[], $5::bytea[])"
                    + " AS u(s, k, f, c, b)",
                [
                    .array(newKeys.map { Optional($0.id.scope) }), .array(newKeys.map { Optional($0.id.key) }),
                    .array(bytes: newKeys.map(\.intent.fingerprint)), .array(state.responses.map { Int64($0.status) }),
                    .array(bytes: state.responses.map(\.body)),
                ]
            )
        }
    }
}
