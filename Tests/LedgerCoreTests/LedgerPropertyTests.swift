import Foundation
import LedgerCore
import PropertyBased
import Testing

/// Properties of the rules engine over generated programs, each checked after every command.
///
/// Replay a failure with the seed it prints: `make proptest SEED=…`, or
/// `PROPTEST_SEED=… PROPTEST_CASE=… swift test --filter LedgerCoreTests`.
@Suite("Ledger properties over generated programs")
struct LedgerPropertyTests {
    let runner = PropertyRunner.fromEnvironment()

    /// Whether the run is long enough for coverage floors to be meaningful (not a one-case replay).
    var checksCoverage: Bool { runner.onlyCase == nil && runner.iterations >= PropertyRunner.coverageIterationsMin }

    /// Runs generated programs and applies `check` to every step.
    func checkEveryStep(
        _ name: String, shape: ProgramShape = .standard,
        sourceLocation: SourceLocation = #_sourceLocation,
        check: (Step, inout Coverage) -> [String]
    ) -> Coverage {
        runner.check(
            name,
            input: ProgramGenerator.program(shape),
            shrink: { $0.shrinkCandidates() },
            describe: { "\($0)\ntrace:\n\(LedgerMachine.trace(of: $0))" },
            property: { program, coverage in
                var machine = LedgerMachine(program: program)
                return machine.run { step in
                    coverage.record(step)
                    return check(step, &coverage)
                }
            },
            sourceLocation: sourceLocation
        )
    }

    @Test("invariant 1: per currency, debits equal credits, posted and pending, after every command")
    func conservation() {
        let coverage = checkEveryStep("invariant 1") { step, _ in
            HistoryFold.conservationViolations(step.after)
        }
        if checksCoverage {
            #expect(coverage["accepted createTransfer"] > 0)
            #expect(coverage["accepted postPending"] > 0)
        }
    }

    @Test("invariant 2: balances are the fold of entries and pending transfers, after every command")
    func balancesAreHistory() {
        let coverage = checkEveryStep("invariant 2") { step, _ in
            let state = step.after
            let checker = InvariantChecker.violations(
                accounts: Array(state.accounts.values), transfers: Array(state.transfers.values), entries: state.entries
            )
            return checker.map { "InvariantChecker: \($0)" } + HistoryFold.historyViolations(state)
        }
        if checksCoverage {
            #expect(coverage["accepted createTransfer"] > 0)
            #expect(coverage["partial post"] > 0)
        }
    }

    @Test("invariant 3: flagged accounts never pass their limit counting pending, and only a breach is refused for it")
    func limitsHold() {
        let coverage = checkEveryStep("invariant 3") { step, coverage in
            var found: [String] = []
            for account in step.after.accounts.values where RulesOracle.breaksLimit(account.flags, account.balances) {
                found.append("account \(account.id) (flags \(account.flags.rawValue)) is past its limit: \(account.balances)")
            }
            if case .createTransfer = step.command {
                let expected = RulesOracle.expected(step.command, in: step.before)
                let actual = RulesOracle.Outcome(step.result)
                let limitCodes: [RulesOracle.Outcome] = [.refused(.insufficientFunds), .refused(.limitExceeded)]
                if actual != expected, limitCodes.contains(actual) || limitCodes.contains(expected) {
                    found.append("limit decision: expected \(expected), got \(actual)")
                }
                if limitCodes.contains(actual) { coverage.count("refused for a limit") }
            }
            return found
        }
        if checksCoverage {
            #expect(coverage["refused insufficient_funds"] > 0)
            #expect(coverage["refused limit_exceeded"] > 0)
            #expect(coverage["accepted from a flagged debit account"] > 0)
        }
    }

    @Test("invariant 4: transfers and entries only grow; a transfer changes only from pending to resolved")
    func appendOnly() {
        let coverage = checkEveryStep("invariant 4") { step, _ in
            var found: [String] = []
            let before = step.before
            let after = step.after
            if after.entries.count < before.entries.count || Array(after.entries.prefix(before.entries.count)) != before.entries {
                found.append("earlier entries changed")
            }
            for (id, old) in before.transfers {
                guard let new = after.transfers[id] else {
                    found.append("transfer \(id) disappeared")
                    continue
                }
                guard new != old else { continue }
                var unchangedFields = new
                unchangedFields.status = old.status
                unchangedFields.postedAmount = old.postedAmount
                unchangedFields.resolvedAt = old.resolvedAt
                if old.status != .pending || new.status == .pending || unchangedFields != old || new.resolvedAt == nil {
                    found.append("transfer \(id) changed from \(old) to \(new)")
                }
            }
            for (id, old) in before.accounts {
                guard let new = after.accounts[id] else {
                    found.append("account \(id) disappeared")
                    continue
                }
                if new.code != old.code || new.currency != old.currency || new.flags != old.flags
                    || new.metadata != old.metadata || new.createdAt != old.createdAt {
                    found.append("account \(id) changed its fields from \(old) to \(new)")
                }
            }
            return found
        }
        if checksCoverage {
            #expect(coverage["accepted voidPending"] > 0)
            #expect(coverage["accepted expirePending"] > 0)
        }
    }

    @Test("invariant 6: pending arithmetic: post ≤ held, every resolution releases the whole hold, once")
    func pendingArithmetic() {
        let coverage = checkEveryStep("invariant 6") { step, _ in
            PendingRules.violations(step)
        }
        if checksCoverage {
            #expect(coverage["partial post"] > 0)
            #expect(coverage["exact explicit post"] > 0)
            #expect(coverage["post one over the hold"] > 0)
            #expect(coverage["accepted voidPending"] > 0)
            #expect(coverage["accepted expirePending"] > 0)
            #expect(coverage["refused amount_exceeds_pending"] > 0)
            #expect(coverage["refused pending_expired"] > 0)
            #expect(coverage["refused transfer_not_pending"] > 0)
        }
    }

    @Test("invariants 7 and 8: every command does what the rules predict; a refused or repeated command changes nothing")
    func rejectedCommandsChangeNothing() {
        let coverage = checkEveryStep("invariant 7") { step, coverage in
            var found: [String] = []
            let expected = RulesOracle.expected(step.command, in: step.before)
            let actual = RulesOracle.Outcome(step.result)
            if expected != actual {
                found.append("expected \(expected), got \(actual)")
            }
            if actual != .accepted(changed: true), step.after != step.before {
                found.append("a command that changed nothing (\(actual)) changed the state: \(step.after.differences(from: step.before))")
            }
            if let intent = step.intent {
                let isReplay = intent == .duplicateTransferSameFields || intent == .duplicateAccountSameFields
                if isReplay ? actual != .accepted(changed: false) : actual == .accepted(changed: true) {
                    found.append("the deliberately invalid \(intent.rawValue) was \(actual)")
                }
                coverage.count("intent \(intent.rawValue)")
            }
            return found
        }
        if checksCoverage {
            for kind in InvalidKind.allCases {
                #expect(coverage["intent \(kind.rawValue)"] > 0, "no program sent \(kind.rawValue)")
            }
            for code: LedgerError.Code in [.validationFailed, .accountNotFound, .transferNotFound, .currencyMismatch, .sameAccount, .idConflict] {
                #expect(coverage["refused \(code)"] > 0, "no command was refused with \(code)")
            }
        }
    }

    @Test("invariant 9: entries' balance_after is the running posted balance; sequences strictly increase")
    func runningBalancesAndSequences() {
        let coverage = checkEveryStep("invariant 9") { step, _ in
            var found = HistoryFold.sequenceViolations(step.after)
            let newSequences = step.after.entries.dropFirst(step.before.entries.count).map(\.sequence)
                + step.after.transfers.values.filter { step.before.transfers[$0.id] == nil }.map(\.sequence)
            for sequence in newSequences where sequence < step.before.nextSequence {
                found.append("new sequence \(sequence) is below the next free one \(step.before.nextSequence)")
            }
            return found
        }
        if checksCoverage {
            #expect(coverage["accepted postPending"] > 0)
        }
    }
}

extension Coverage {
    /// Counts what a step did, so that tests can check their programs reach every rule.
    mutating func record(_ step: Step) {
        if case .postPending(let id, let amount?) = step.command, let held = step.before.transfers[id], held.status == .pending {
            if amount == held.amount { count("exact explicit post") }
            if amount == held.amount &+ 1 { count("post one over the hold") }
        }
        let kind = switch step.command {
        case .createAccount: "createAccount"
        case .createTransfer: "createTransfer"
        case .postPending: "postPending"
        case .voidPending: "voidPending"
        case .expirePending: "expirePending"
        }
        switch step.result {
        case .success(let effect) where effect.changed:
            count("accepted \(kind)")
            if case .postPending(let id, let amount?) = step.command, let held = step.before.transfers[id]?.amount, amount < held {
                count("partial post")
            }
            if case .createTransfer(let new) = step.command, step.before.accounts[new.debitAccountID]?.flags.isEmpty == false {
                count("accepted from a flagged debit account")
            }
        case .success:
            count("unchanged \(kind)")
        case .failure(let error):
            count("refused \(error.code)")
        }
    }
}
