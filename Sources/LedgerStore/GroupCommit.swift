import Foundation
import LedgerCore
import Metrics
import Postgres

/// One transaction's worth of write requests, run synchronously on a leased connection.
///
/// Two round trips: a pipeline of reads (idempotency keys, the accounts locked in id order,
/// the transfers named, the clock, sequence numbers) that also carries the BEGIN, then, after
/// the engine has run in memory, a pipeline of set-based writes that ends with the COMMIT. The
/// statements are fixed texts, prepared once per connection. Each write's parameters are built
/// just before it is sent (the entries' hash chain, the stored responses), so the server
/// executes one write while the next is being built. `run` is re-entrant: a serialization
/// retry runs it again from the start on a fresh transaction.
struct GroupCommit {
    let requests: [WriteRequest]
    let phaseTimers: PhaseTimers

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
        let writes = writeStatements(engine: engine, newKeys: newKeys, state: state)
        let applied = ContinuousClock.now
        phaseTimers.apply.record(applied - read)
        _ = try connection.pipeline(deferred: writes, step: "write group", committing: true, prepared: true)
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

    /// The group's writes, in order, each made when the pipeline is about to send it.
    private func writeStatements(engine: LedgerEngine, newKeys: [NewKey], state: WriteState) -> [() -> Statement] {
        var statements: [() -> Statement] = []

        let opened = engine.openedAccountIDs.compactMap { engine.accounts[$0] }
        if !opened.isEmpty {
            statements.append {
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

        let created = engine.createdTransferIDs.compactMap { engine.transfers[$0] }
        if !created.isEmpty {
            statements.append {
                (
                    "INSERT INTO transfers (id, sequence, debit_account_id, credit_account_id, amount, currency, is_pending,"
                        + " timeout_seconds, expires_at, description, metadata, status, posted_amount, created_at, resolved_at)"
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

        let resolved = engine.resolvedTransferIDs.compactMap { engine.transfers[$0] }
        if !resolved.isEmpty {
            statements.append {
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

        if !engine.entries.isEmpty {
            statements.append {
                // Chain every new entry to its account's previous one (invariant 5). The engine's
                // entries are in sequence order, which is the chain's order.
                var entries = engine.entries
                for index in entries.indices {
                    let accountID = entries[index].accountID
                    let previous = state.heads[accountID] ?? Entry.genesisHash
                    let link = SHA256.hash(previous, entries[index].canonicalBytes)
                    entries[index].hash = link
                    state.heads[accountID] = link
                }
                return (
                    "INSERT INTO entries (sequence, account_id, transfer_id, direction, amount, balance_after, created_at, hash)"
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

        // The rows are locked already, so the update's order does not matter. It follows the
        // entries, whose statement moves each account's chain head.
        let changed = engine.changedAccountIDs.compactMap { engine.accounts[$0] }
        if !changed.isEmpty {
            statements.append {
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

        if !newKeys.isEmpty {
            statements.append {
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
        return statements
    }
}
