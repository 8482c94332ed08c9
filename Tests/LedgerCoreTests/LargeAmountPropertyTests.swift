import Foundation
import LedgerCore
import PropertyBased
import Testing

/// A sum of unsigned 64-bit amounts kept in two words, so that checking the engine's Int128
/// sums does not itself rely on Int128 addition.
struct WideSum: Equatable {
    var high: UInt64 = 0
    var low: UInt64 = 0

    mutating func add(_ amount: Int64) {
        precondition(amount >= 0, "entry amounts are positive")
        let (sum, carry) = low.addingReportingOverflow(UInt64(amount))
        low = sum
        if carry { high += 1 }
    }

    init() {}

    init(_ value: Int128) {
        precondition(value >= 0, "debit and credit totals are never negative")
        let bits = UInt128(value)
        high = UInt64(truncatingIfNeeded: bits >> 64)
        low = UInt64(truncatingIfNeeded: bits)
    }
}

@Suite("Amounts near Int64.max")
struct LargeAmountPropertyTests {
    let runner = PropertyRunner.fromEnvironment()

    @Test("invariant 2: amounts near Int64.max never trap and every sum stays exact")
    func int128Sums() {
        let coverage = runner.check(
            "invariant 2 near Int64.max",
            input: ProgramGenerator.program(.nearInt64Max),
            shrink: { $0.shrinkCandidates() },
            describe: { "\($0)\ntrace:\n\(LedgerMachine.trace(of: $0))" },
            property: { program, coverage in
                var machine = LedgerMachine(program: program)
                var found = machine.run { step in
                    coverage.record(step)
                    return HistoryFold.conservationViolations(step.after) + Self.sumViolations(step.after)
                }
                let state = machine.state
                found += HistoryFold.historyViolations(state) + HistoryFold.sequenceViolations(state)
                if state.accounts.values.contains(where: { $0.balances.debitsPosted > Int128(Int64.max) || $0.balances.creditsPosted > Int128(Int64.max) }) {
                    coverage.count("a posted total above Int64.max")
                }
                if state.accounts.values.contains(where: { $0.balances.posted < Int128(Int64.min) }) {
                    coverage.count("a posted balance below Int64.min")
                }
                return found
            }
        )
        if runner.onlyCase == nil, runner.iterations >= PropertyRunner.coverageIterationsMin {
            #expect(coverage["a posted total above Int64.max"] > 0)
            #expect(coverage["a posted balance below Int64.min"] > 0)
            #expect(coverage["accepted postPending"] > 0)
        }
    }

    /// Each account's posted totals equal its entries summed in two 64-bit words, and its
    /// pending totals equal its holds summed the same way.
    static func sumViolations(_ state: LedgerState) -> [String] {
        var sums: [UUID: (dp: WideSum, dP: WideSum, cp: WideSum, cP: WideSum)] = [:]
        let zero = (dp: WideSum(), dP: WideSum(), cp: WideSum(), cP: WideSum())
        for entry in state.entries {
            if entry.direction == .debit {
                sums[entry.accountID, default: zero].dP.add(entry.amount)
            } else {
                sums[entry.accountID, default: zero].cP.add(entry.amount)
            }
        }
        for transfer in state.transfers.values where transfer.status == .pending {
            sums[transfer.debitAccountID, default: zero].dp.add(transfer.amount)
            sums[transfer.creditAccountID, default: zero].cp.add(transfer.amount)
        }
        var found: [String] = []
        for account in state.accounts.values {
            let expected = sums[account.id, default: zero]
            let b = account.balances
            if WideSum(b.debitsPending) != expected.dp || WideSum(b.debitsPosted) != expected.dP
                || WideSum(b.creditsPending) != expected.cp || WideSum(b.creditsPosted) != expected.cP {
                found.append("invariant 2: account \(account.id) balances \(b) differ from the two-word sums of its history")
            }
        }
        return found
    }
}
