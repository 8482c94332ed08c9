import Foundation
import LedgerCore

/// One command the machine ran, with the whole state before and after it.
struct Step: Sendable {
    /// Index of the program operation that produced the command; nil while opening the pool.
    var opIndex: Int?
    var command: LedgerCommand
    /// Set when the program sent the command on purpose to be refused or answered as a replay.
    var intent: InvalidKind?
    var before: LedgerState
    var after: LedgerState
    var result: Result<LedgerEffect, LedgerError>

    var label: String {
        let origin = opIndex.map { "op \($0)" } ?? "pool"
        return "\(origin): \(Step.describe(command)) → \(Step.describe(result))"
    }

    static func describe(_ command: LedgerCommand) -> String {
        switch command {
        case .createAccount(let new):
            "createAccount \(short(new.id)) \(new.currency) flags=\(new.flags.rawValue) code=\(new.code ?? "-")"
        case .createTransfer(let new):
            "createTransfer \(short(new.id)) \(short(new.debitAccountID))→\(short(new.creditAccountID)) \(new.amount) \(new.currency)"
                + (new.isPending ? " pending" : "") + (new.timeoutSeconds.map { " timeout=\($0)" } ?? "")
                + (new.description.map { " description(\($0.count))" } ?? "")
        case .postPending(let id, let amount): "postPending \(short(id)) amount=\(amount.map(String.init) ?? "full")"
        case .voidPending(let id): "voidPending \(short(id))"
        case .expirePending(let id): "expirePending \(short(id))"
        }
    }

    static func describe(_ result: Result<LedgerEffect, LedgerError>) -> String {
        switch result {
        case .success(let effect): effect.changed ? "ok" : "ok (unchanged)"
        case .failure(let error): "\(error.code)"
        }
    }

    static func short(_ id: UUID) -> String { String(id.uuidString.prefix(8)) + "…" + String(id.uuidString.suffix(4)) }
}

/// Runs a program on a `LedgerEngine`, one command at a time, and shows each step to a checker.
struct LedgerMachine {
    /// The clock at the start of every program: microsecond-precise, like a commit time.
    static let start = Date(microsecondsSinceEpoch: 1_700_000_000_123_457)

    private(set) var engine: LedgerEngine
    private(set) var sequences: SequenceAllocator
    let program: Program
    let accountIDs: [UUID]
    /// Every transfer id a command was built with, in order, whether or not the command succeeded.
    private(set) var usedTransferIDs: [UUID] = []
    private var freshCounter: UInt64 = 0

    init(program: Program) {
        self.program = program
        engine = LedgerEngine(accounts: [], transfers: [], now: Self.start)
        sequences = SequenceAllocator(countingFrom: 1)
        accountIDs = program.accounts.indices.map { Self.id(prefix: 0xAC, UInt64($0)) }
    }

    var state: LedgerState { LedgerState(engine: engine, sequences: sequences) }

    /// Runs the whole program. `check` sees every step and returns what broke; the run stops at
    /// the first step that broke something and returns those failures, labelled with the step.
    mutating func run(check: (Step) -> [String]) -> [String] {
        for command in openingCommands() {
            let failures = apply(command, opIndex: nil, intent: nil, check: check)
            if !failures.isEmpty { return failures }
        }
        for (index, op) in program.ops.enumerated() {
            if case .advance(let micros) = op {
                advance(micros: micros)
                continue
            }
            for (command, intent) in commands(for: op) {
                let failures = apply(command, opIndex: index, intent: intent, check: check)
                if !failures.isEmpty { return failures }
            }
        }
        return []
    }

    /// Every command of a run with its outcome, one per line: what a failure report shows.
    static func trace(of program: Program) -> String {
        var machine = LedgerMachine(program: program)
        var lines: [String] = []
        _ = machine.run { step in
            lines.append("  \(step.label)")
            return []
        }
        return lines.joined(separator: "\n")
    }

    mutating func apply(_ command: LedgerCommand, opIndex: Int?, intent: InvalidKind?, check: (Step) -> [String]) -> [String] {
        let before = state
        let result = engine.apply(command, sequences: &sequences)
        let step = Step(opIndex: opIndex, command: command, intent: intent, before: before, after: state, result: result)
        let failures = check(step) + Self.trapHazards(step.after)
        return failures.map { "\(step.label): \($0)" }
    }

    /// Broken state that would make a later command trap on one of the engine's preconditions
    /// (a negative balance, an account past its limit, a hold larger than its pending balance).
    ///
    /// Every property stops its run here, whatever it checks, so that a bug shows up as a
    /// failure with a seed and a shrunk program instead of a crash of the whole test process.
    static func trapHazards(_ state: LedgerState) -> [String] {
        var found: [String] = []
        var held: [UUID: (debits: Int128, credits: Int128)] = [:]
        for transfer in state.transfers.values where transfer.status == .pending {
            held[transfer.debitAccountID, default: (0, 0)].debits += Int128(transfer.amount)
            held[transfer.creditAccountID, default: (0, 0)].credits += Int128(transfer.amount)
        }
        for account in state.accounts.values {
            let b = account.balances
            let holds = held[account.id, default: (0, 0)]
            if b.debitsPending < holds.debits || b.creditsPending < holds.credits || !b.isWellFormed
                || RulesOracle.breaksLimit(account.flags, b) {
                found.append("stopped before the engine traps: account \(account.id) (flags \(account.flags.rawValue)) holds \(b) with holds \(holds)")
            }
        }
        return found
    }

    mutating func advance(micros: Int64) {
        engine.now = Date(microsecondsSinceEpoch: engine.now.microsecondsSinceEpoch + micros)
    }

    /// Opens the pool's accounts.
    func openingCommands() -> [LedgerCommand] {
        program.accounts.enumerated().map { index, spec in
            .createAccount(NewAccount(
                id: accountIDs[index], code: spec.hasCode ? "acct:\(index)" : nil,
                currency: program.currency(spec.currencyIndex), flags: spec.limit.flags, metadata: nil
            ))
        }
    }

    // MARK: - From operations to commands

    /// The commands an operation stands for, given what exists now; empty when the operation
    /// needs something that does not exist (a duplicate of a transfer before any transfer).
    mutating func commands(for op: Op) -> [(LedgerCommand, InvalidKind?)] {
        switch op {
        case .transfer(let debit, let credit, let amount, let pending, let timeout):
            let debitIndex = debit % accountIDs.count
            let new = NewTransfer(
                id: freshTransferID(), debitAccountID: accountIDs[debitIndex],
                creditAccountID: accountIDs[creditIndex(debit: debitIndex, credit: credit)], amount: amount,
                currency: currency(ofPool: debitIndex), isPending: pending, timeoutSeconds: timeout
            )
            return [(.createTransfer(new), nil)]
        case .post(let ref, let pendingOnly, let postAmount):
            let id = transferID(ref: ref, pendingOnly: pendingOnly)
            return [(.postPending(id: id, amount: amount(postAmount, of: id)), nil)]
        case .void(let ref, let pendingOnly):
            return [(.voidPending(id: transferID(ref: ref, pendingOnly: pendingOnly)), nil)]
        case .expire(let ref, let pendingOnly):
            return [(.expirePending(id: transferID(ref: ref, pendingOnly: pendingOnly, due: true)), nil)]
        case .expireDue:
            return dueTransferIDs().map { (.expirePending(id: $0), nil) }
        case .advance:
            return []
        case .invalid(let kind, let a, let b):
            return invalidCommand(kind, a: a, b: b).map { [($0, kind)] } ?? []
        }
    }

    /// Pending transfers past their timeout, oldest first: what the sweeper expires.
    func dueTransferIDs() -> [UUID] {
        engine.transfers.values
            .filter { $0.status == .pending && ($0.expiresAt.map { $0 <= engine.now } ?? false) }
            .sorted { $0.sequence < $1.sequence }
            .map(\.id)
    }

    private func currency(ofPool index: Int) -> Currency {
        program.currency(program.accounts[index].currencyIndex)
    }

    /// Another account of the debit account's currency when there is one, so that most
    /// generated transfers get past the currency rule (mismatches have their own operation).
    private func creditIndex(debit: Int, credit: Int) -> Int {
        let count = accountIDs.count
        let peers = (0..<count).filter { $0 != debit && currency(ofPool: $0) == currency(ofPool: debit) }
        if !peers.isEmpty { return peers[credit % peers.count] }
        return (debit + 1 + credit % (count - 1)) % count
    }

    /// With `pendingOnly`, a pending transfer (a due one for expiry) when any exists; otherwise
    /// any id the program used, refused or not.
    private func transferID(ref: Int, pendingOnly: Bool, due: Bool = false) -> UUID {
        if pendingOnly {
            let pending = existingTransfers.filter { $0.status == .pending }
            let due = due ? pending.filter { $0.expiresAt.map { $0 <= engine.now } ?? false } : []
            if !due.isEmpty { return due[ref % due.count].id }
            if !pending.isEmpty { return pending[ref % pending.count].id }
            let existing = existingTransfers
            if !existing.isEmpty { return existing[ref % existing.count].id }
        }
        if !usedTransferIDs.isEmpty { return usedTransferIDs[ref % usedTransferIDs.count] }
        return Self.id(prefix: 0xEF, UInt64(ref))
    }

    private func amount(_ postAmount: PostAmount, of id: UUID) -> Int64? {
        let held = engine.transfers[id]?.amount ?? 1
        switch postAmount {
        case .full:
            return nil
        case .partial(let permille):
            return max(1, Int64(Int128(held) * Int128(permille) / 1_000))
        case .over(let by):
            let (sum, overflow) = held.addingReportingOverflow(by)
            if !overflow { return sum }
            return held < .max ? .max : nil
        case .nonPositive(let value):
            return value
        }
    }

    private mutating func freshTransferID() -> UUID {
        freshCounter += 1
        let id = Self.id(prefix: 0x7F, freshCounter)
        usedTransferIDs.append(id)
        return id
    }

    private mutating func freshID(prefix: UInt8) -> UUID {
        freshCounter += 1
        return Self.id(prefix: prefix, freshCounter)
    }

    /// Existing transfers, oldest first.
    private var existingTransfers: [Transfer] {
        engine.transfers.values.sorted { $0.sequence < $1.sequence }
    }

    private mutating func invalidCommand(_ kind: InvalidKind, a: Int, b: Int) -> LedgerCommand? {
        let count = accountIDs.count
        let ia = a % count
        var ib = b % count
        switch kind {
        case .unknownDebitAccount:
            return .createTransfer(NewTransfer(
                id: freshTransferID(), debitAccountID: freshID(prefix: 0xEE), creditAccountID: accountIDs[ib],
                amount: 10, currency: currency(ofPool: ib)
            ))
        case .unknownCreditAccount:
            return .createTransfer(NewTransfer(
                id: freshTransferID(), debitAccountID: accountIDs[ia], creditAccountID: freshID(prefix: 0xEE),
                amount: 10, currency: currency(ofPool: ia)
            ))
        case .currencyMismatch:
            if ib == ia { ib = (ia + 1) % count }
            let own = currency(ofPool: ia)
            let other = Program.currencies.first { $0 != own }!
            return .createTransfer(NewTransfer(
                id: freshTransferID(), debitAccountID: accountIDs[ia], creditAccountID: accountIDs[ib],
                amount: 10, currency: other
            ))
        case .sameAccount:
            return .createTransfer(NewTransfer(
                id: freshTransferID(), debitAccountID: accountIDs[ia], creditAccountID: accountIDs[ia],
                amount: 10, currency: currency(ofPool: ia)
            ))
        case .zeroAmount, .negativeAmount:
            if ib == ia { ib = (ia + 1) % count }
            return .createTransfer(NewTransfer(
                id: freshTransferID(), debitAccountID: accountIDs[ia], creditAccountID: accountIDs[ib],
                amount: kind == .zeroAmount ? 0 : -Int64(b + 1), currency: currency(ofPool: ia)
            ))
        case .timeoutOutOfRange, .timeoutOnPostedTransfer:
            if ib == ia { ib = (ia + 1) % count }
            let outOfRange = b % 2 == 0 ? 0 : Limits.pendingTimeoutSecondsMax + 1
            return .createTransfer(NewTransfer(
                id: freshTransferID(), debitAccountID: accountIDs[ia], creditAccountID: accountIDs[ib],
                amount: 10, currency: currency(ofPool: ia), isPending: kind == .timeoutOutOfRange,
                timeoutSeconds: kind == .timeoutOutOfRange ? outOfRange : 10
            ))
        case .descriptionTooLong:
            if ib == ia { ib = (ia + 1) % count }
            return .createTransfer(NewTransfer(
                id: freshTransferID(), debitAccountID: accountIDs[ia], creditAccountID: accountIDs[ib],
                amount: 10, currency: currency(ofPool: ia),
                description: String(repeating: "é", count: Limits.descriptionCharactersMax + 1)
            ))
        case .duplicateTransferOtherFields, .duplicateTransferSameFields:
            let existing = existingTransfers
            guard !existing.isEmpty else { return nil }
            let original = existing[a % existing.count]
            var new = NewTransfer(
                id: original.id, debitAccountID: original.debitAccountID, creditAccountID: original.creditAccountID,
                amount: original.amount, currency: original.currency, isPending: original.isPending,
                timeoutSeconds: original.timeoutSeconds, description: original.description, metadata: original.metadata
            )
            if kind == .duplicateTransferOtherFields {
                switch b % 3 {
                case 0: new.amount = original.amount == .max ? original.amount - 1 : original.amount + 1
                case 1: new.description = "another description"
                default: swap(&new.debitAccountID, &new.creditAccountID)
                }
            }
            return .createTransfer(new)
        case .unknownTransfer:
            let id = freshID(prefix: 0xEF)
            switch b % 3 {
            case 0: return .postPending(id: id, amount: nil)
            case 1: return .voidPending(id: id)
            default: return .expirePending(id: id)
            }
        case .badAccountCode:
            let codes = ["", "has space", "semi;colon", String(repeating: "a", count: Limits.accountCodeCharactersMax + 1), "ünïcode"]
            return .createAccount(NewAccount(
                id: freshID(prefix: 0xAD), code: codes[b % codes.count], currency: currency(ofPool: ia), flags: [], metadata: nil
            ))
        case .bothFlags:
            return .createAccount(NewAccount(
                id: freshID(prefix: 0xAD), code: nil, currency: currency(ofPool: ia), flags: .allKnown, metadata: nil
            ))
        case .duplicateAccountOtherFields, .duplicateAccountSameFields:
            guard let account = engine.accounts[accountIDs[ia]] else { return nil }
            var new = NewAccount(
                id: account.id, code: account.code, currency: account.currency, flags: account.flags, metadata: account.metadata
            )
            if kind == .duplicateAccountOtherFields {
                switch b % 3 {
                case 0: new.metadata = "{\"other\":true}"
                case 1: new.flags = account.flags.isEmpty ? .debitsMustNotExceedCredits : []
                default: new.currency = Program.currencies.first { $0 != account.currency }!
                }
            }
            return .createAccount(new)
        case .codeTaken:
            let holders = accountIDs.compactMap { engine.accounts[$0] }.filter { $0.code != nil }
            guard !holders.isEmpty else { return nil }
            return .createAccount(NewAccount(
                id: freshID(prefix: 0xAD), code: holders[a % holders.count].code, currency: currency(ofPool: ia),
                flags: [], metadata: nil
            ))
        }
    }

    /// A UUID whose first byte names its kind and whose last eight bytes count.
    static func id(prefix: UInt8, _ counter: UInt64) -> UUID {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[0] = prefix
        bytes[6] = 0x70
        bytes[7] = UInt8(truncatingIfNeeded: counter >> 56)
        bytes[8] = 0x80
        for i in 0..<7 {
            bytes[9 + i] = UInt8(truncatingIfNeeded: counter >> UInt64(48 - 8 * i))
        }
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }
}
