import Foundation
import LedgerCore
import Postgres

/// Column lists and row decoding shared by every query, so a column added once is read everywhere.
enum Columns {
    static let account = "id, code, currency, flags, metadata, debits_pending, debits_posted, credits_pending, credits_posted, created_at, chain_head"
    static let transfer = "id, sequence, debit_account_id, credit_account_id, amount, currency, is_pending, timeout_seconds, expires_at, description, metadata, status, posted_amount, created_at, resolved_at"
    static let entry = "sequence, account_id, transfer_id, direction, amount, balance_after, created_at, hash"
}

/// An account as stored, with the head of its hash chain.
struct StoredAccount: Sendable {
    var account: Account
    var chainHead: [UInt8]
}

extension StoredAccount {
    init(row: PostgresRow) throws {
        guard let currency = Currency(try row.string(2)) else {
            throw StoreError(.corruptData, "account \(try row.uuid(0)) has an invalid currency")
        }
        account = Account(
            id: try row.uuid(0),
            code: row.optionalString(1),
            currency: currency,
            flags: AccountFlags(rawValue: try row.int(3)),
            metadata: row.optionalString(4),
            createdAt: try row.date(9),
            balances: Balances(
                debitsPending: try row.int128(5), debitsPosted: try row.int128(6),
                creditsPending: try row.int128(7), creditsPosted: try row.int128(8)
            )
        )
        chainHead = try row.bytes(10)
    }
}

extension Transfer {
    init(row: PostgresRow) throws {
        let id = try row.uuid(0)
        guard let currency = Currency(try row.string(5)) else {
            throw StoreError(.corruptData, "transfer \(id) has an invalid currency")
        }
        guard let status = TransferStatus(rawValue: try row.string(11)) else {
            throw StoreError(.corruptData, "transfer \(id) has an unknown status")
        }
        self.init(
            id: id,
            debitAccountID: try row.uuid(2),
            creditAccountID: try row.uuid(3),
            amount: try row.int64(4),
            currency: currency,
            isPending: try row.bool(6),
            timeoutSeconds: row.isNull(7) ? nil : try row.int(7),
            expiresAt: row.isNull(8) ? nil : try row.date(8),
            description: row.optionalString(9),
            metadata: row.optionalString(10),
            status: status,
            postedAmount: try row.int64(12),
            createdAt: try row.date(13),
            resolvedAt: row.isNull(14) ? nil : try row.date(14),
            sequence: try row.int64(1)
        )
    }
}

extension Entry {
    init(row: PostgresRow) throws {
        let sequence = try row.int64(0)
        guard let direction = EntryDirection(rawValue: try row.string(3)) else {
            throw StoreError(.corruptData, "entry \(sequence) has an unknown direction")
        }
        self.init(
            sequence: sequence,
            accountID: try row.uuid(1),
            transferID: try row.uuid(2),
            direction: direction,
            amount: try row.int64(4),
            balanceAfter: try row.int128(5),
            createdAt: try row.date(6),
            hash: try row.bytes(7)
        )
    }
}
