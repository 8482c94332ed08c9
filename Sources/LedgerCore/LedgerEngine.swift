public import Foundation

/// The ledger's rules, applied to a working set of accounts and transfers.
///
/// The engine is pure: the store loads (and locks) what a batch of commands touches, runs the
/// commands here in arrival order, and writes back what changed; the reference ledger keeps the
/// whole ledger in one engine. A rejected command changes nothing. Each command sees the effects
/// of the commands before it, so balances are checked against running totals.
public struct LedgerEngine: Sendable {
    public private(set) var accounts: [UUID: Account]
    public private(set) var transfers: [UUID: Transfer]
    private var accountIDsByCode: [String: UUID]

    /// Ids of accounts opened since the engine was made, in order.
    public private(set) var openedAccountIDs: [UUID] = []
    /// Ids of transfers created since the engine was made, in order.
    public private(set) var createdTransferIDs: [UUID] = []
    /// Ids of transfers that existed before and left `pending`, in order.
    public private(set) var resolvedTransferIDs: [UUID] = []
    /// Entries written since the engine was made, in sequence order.
    public private(set) var entries: [Entry] = []
    /// Accounts whose balances changed since the engine was made.
    public private(set) var changedAccountIDs: Set<UUID> = []

    public var now: Date

    /// - Parameters:
    ///   - accounts: every account the commands may touch, and every account holding a code
    ///     that a new account asks for.
    ///   - transfers: every existing transfer whose id a command names.
    ///   - now: the commit time of the batch (microsecond precision).
    public init(accounts: some Sequence<Account>, transfers: some Sequence<Transfer>, now: Date) {
        var byID: [UUID: Account] = [:]
        var byCode: [String: UUID] = [:]
        for account in accounts {
            byID[account.id] = account
            if let code = account.code { byCode[code] = account.id }
        }
        self.accounts = byID
        self.accountIDsByCode = byCode
        self.transfers = Dictionary(transfers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.now = now.truncatedToMicroseconds
    }

    /// Applies one command. On failure nothing changed.
    public mutating func apply(_ command: LedgerCommand, sequences: inout SequenceAllocator) -> Result<LedgerEffect, LedgerError> {
        switch command {
        case .createAccount(let account): createAccount(account)
        case .createTransfer(let transfer): createTransfer(transfer, sequences: &sequences)
        case .postPending(let id, let amount): resolvePending(id: id, to: .posted, amount: amount, sequences: &sequences)
        case .voidPending(let id): resolvePending(id: id, to: .voided, amount: nil, sequences: &sequences)
        case .expirePending(let id): resolvePending(id: id, to: .expired, amount: nil, sequences: &sequences)
        }
    }

    /// Applies commands all or nothing. On failure the engine is as before and the index of
    /// the first failing command is returned with its error.
    public mutating func applyAtomically(
        _ commands: [LedgerCommand], sequences: inout SequenceAllocator
    ) -> Result<[LedgerEffect], AtomicFailure> {
        let saved = self
        let savedSequences = sequences
        var effects: [LedgerEffect] = []
        effects.reserveCapacity(commands.count)
        for (index, command) in commands.enumerated() {
            switch apply(command, sequences: &sequences) {
            case .success(let effect):
                effects.append(effect)
            case .failure(let error):
                self = saved
                sequences = savedSequences
                return .failure(AtomicFailure(index: index, error: error))
            }
        }
        return .success(effects)
    }

    public struct AtomicFailure: Error, Sendable, Hashable {
        public var index: Int
        public var error: LedgerError
    }

    // MARK: - Accounts

    private mutating func createAccount(_ new: NewAccount) -> Result<LedgerEffect, LedgerError> {
        if let error = Validation.newAccount(new) { return .failure(error) }
        if let existing = accounts[new.id] {
            guard new.matches(existing) else {
                return .failure(LedgerError(.idConflict, "account \(new.id.lowercasedString) exists with other fields", field: "id"))
            }
            return .success(.account(existing, changed: false))
        }
        if let code = new.code, let holder = accountIDsByCode[code], holder != new.id {
            return .failure(LedgerError(.idConflict, "code \(code) belongs to another account", field: "code"))
        }
        let account = Account(
            id: new.id, code: new.code, currency: new.currency, flags: new.flags,
            metadata: new.metadata, createdAt: now
        )
        accounts[account.id] = account
        if let code = account.code { accountIDsByCode[code] = account.id }
        openedAccountIDs.append(account.id)
        return .success(.account(account, changed: true))
    }

    // MARK: - Transfers

    private mutating func createTransfer(_ new: NewTransfer, sequences: inout SequenceAllocator) -> Result<LedgerEffect, LedgerError> {
        if let error = Validation.newTransfer(new) { return .failure(error) }
        if let existing = transfers[new.id] {
            guard new.matches(existing) else {
                return .failure(LedgerError(.idConflict, "transfer \(new.id.lowercasedString) exists with other fields", field: "id"))
            }
            return .success(.transfer(existing, entries: [], changed: false))
        }
        guard var debit = accounts[new.debitAccountID] else {
            return .failure(LedgerError(.accountNotFound, "debit account \(new.debitAccountID.lowercasedString) does not exist", field: "debit_account_id"))
        }
        guard var credit = accounts[new.creditAccountID] else {
            return .failure(LedgerError(.accountNotFound, "credit account \(new.creditAccountID.lowercasedString) does not exist", field: "credit_account_id"))
        }
        guard debit.currency == new.currency, credit.currency == new.currency else {
            return .failure(LedgerError(
                .currencyMismatch,
                "transfer is in \(new.currency) but the accounts hold \(debit.currency) and \(credit.currency)",
                field: "currency"
            ))
        }

        let amount = Int128(new.amount)
        if new.isPending {
            debit.balances.debitsPending += amount
            credit.balances.creditsPending += amount
        } else {
            debit.balances.debitsPosted += amount
            credit.balances.creditsPosted += amount
        }
        guard debit.isWithinLimits else {
            return .failure(LedgerError(
                .insufficientFunds, "debit account \(debit.id.lowercasedString) would have more debits than credits", field: "amount"
            ))
        }
        guard credit.isWithinLimits else {
            return .failure(LedgerError(
                .limitExceeded, "credit account \(credit.id.lowercasedString) would have more credits than debits", field: "amount"
            ))
        }

        let transfer = Transfer(
            id: new.id, debitAccountID: debit.id, creditAccountID: credit.id, amount: new.amount,
            currency: new.currency, isPending: new.isPending, timeoutSeconds: new.timeoutSeconds,
            expiresAt: new.timeoutSeconds.map { now.addingTimeInterval(TimeInterval($0)) },
            description: new.description, metadata: new.metadata,
            status: new.isPending ? .pending : .posted, postedAmount: new.isPending ? 0 : new.amount,
            createdAt: now, resolvedAt: nil, sequence: sequences.next()
        )
        transfers[transfer.id] = transfer
        createdTransferIDs.append(transfer.id)
        store(debit)
        store(credit)
        let written = new.isPending ? [] : writeEntries(for: transfer, amount: new.amount, sequences: &sequences)
        return .success(.transfer(transfer, entries: written, changed: true))
    }

    private mutating func resolvePending(
        id: UUID, to status: TransferStatus, amount: Int64?, sequences: inout SequenceAllocator
    ) -> Result<LedgerEffect, LedgerError> {
        guard var transfer = transfers[id] else {
            return .failure(LedgerError(.transferNotFound, "transfer \(id.lowercasedString) does not exist", field: "id"))
        }
        guard transfer.status == .pending else {
            return .failure(LedgerError(.transferNotPending, "transfer \(id.lowercasedString) is \(transfer.status.rawValue), not pending", field: "id"))
        }
        let isDue = transfer.expiresAt.map { $0 <= now } ?? false
        switch status {
        case .expired:
            guard isDue else {
                return .failure(LedgerError(.transferNotPending, "transfer \(id.lowercasedString) has not reached its timeout", field: "id"))
            }
        default:
            guard !isDue else {
                return .failure(LedgerError(.pendingExpired, "transfer \(id.lowercasedString) passed its timeout and can no longer be \(status.rawValue)", field: "id"))
            }
        }
        let postedAmount = amount ?? (status == .posted ? transfer.amount : 0)
        if status == .posted {
            guard postedAmount > 0 else {
                return .failure(.validation("amount must be a positive integer of minor units", field: "amount"))
            }
            guard postedAmount <= transfer.amount else {
                return .failure(LedgerError(
                    .amountExceedsPending, "amount \(postedAmount) exceeds the pending \(transfer.amount)", field: "amount"
                ))
            }
        }
        guard var debit = accounts[transfer.debitAccountID], var credit = accounts[transfer.creditAccountID] else {
            preconditionFailure("the store must load the accounts of pending transfer \(id.lowercasedString)")
        }

        let held = Int128(transfer.amount)
        debit.balances.debitsPending -= held
        credit.balances.creditsPending -= held
        if status == .posted {
            debit.balances.debitsPosted += Int128(postedAmount)
            credit.balances.creditsPosted += Int128(postedAmount)
        }
        // Releasing a hold, or posting no more than was held, can only move balances away from
        // their limits; a violation here would mean corrupted state, not a client mistake.
        precondition(debit.balances.isWellFormed && credit.balances.isWellFormed, "pending release of \(id.lowercasedString) made a balance negative")
        precondition(debit.isWithinLimits && credit.isWithinLimits, "resolving \(id.lowercasedString) broke an account limit")

        transfer.status = status
        transfer.postedAmount = postedAmount
        transfer.resolvedAt = now
        transfers[id] = transfer
        if !createdTransferIDs.contains(id) { resolvedTransferIDs.append(id) }
        store(debit)
        store(credit)
        let written = status == .posted ? writeEntries(for: transfer, amount: postedAmount, sequences: &sequences) : []
        return .success(.transfer(transfer, entries: written, changed: true))
    }

    // MARK: - Helpers

    private mutating func store(_ account: Account) {
        precondition(account.balances.isWellFormed, "account \(account.id) has a negative balance")
        accounts[account.id] = account
        changedAccountIDs.insert(account.id)
    }

    /// Writes the debit then the credit entry of a posted movement, with running balances.
    private mutating func writeEntries(for transfer: Transfer, amount: Int64, sequences: inout SequenceAllocator) -> [Entry] {
        guard let debit = accounts[transfer.debitAccountID], let credit = accounts[transfer.creditAccountID] else {
            preconditionFailure("entries of \(transfer.id) name an account outside the working set")
        }
        let pair = [
            Entry(
                sequence: sequences.next(), accountID: debit.id, transferID: transfer.id, direction: .debit,
                amount: amount, balanceAfter: debit.balances.posted, createdAt: now
            ),
            Entry(
                sequence: sequences.next(), accountID: credit.id, transferID: transfer.id, direction: .credit,
                amount: amount, balanceAfter: credit.balances.posted, createdAt: now
            ),
        ]
        entries.append(contentsOf: pair)
        return pair
    }
}
