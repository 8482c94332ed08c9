import Foundation
import LedgerCore

/// After the run: every acknowledged transfer is in the ledger once with its amount, nothing
/// refused is, replays returned the same bytes, every balance is what the acknowledged
/// transfers imply, and the ledger's own verifier passes.
struct BooksCheck: Sendable {
    struct Check: Sendable, Codable {
        var name: String
        /// "passed", "failed" or "skipped".
        var outcome: String
        var detail: String
    }

    struct Result: Sendable, Codable {
        var passed: Bool
        var method: String
        var checks: [Check]
        var violationCount: Int
        var violations: [String]
        var transfers: Int
        var acknowledged: Int
        var refused: Int
        var notCommitted: Int
        var unknown: Int
        /// Transfers whose outcome was unknown, by what the lookup found.
        var unknownLanded: [String]
        var unknownNotLanded: [String]
        var accounts: Int
    }

    let records: [TransferRecord]
    let accounts: [UUID]
    let transfers: any TransferLookup
    let balances: any BalanceLookup
    let replay: OutcomeBook.ReplayStatistics
    /// Violations found while the run went (replay mismatches, impossible bookings).
    let runViolations: (count: Int, samples: [String])
    let audit: AuditOutcome

    func run() async -> Result {
        var violations = Violations()
        var checks: [Check] = []
        var counts = (acknowledged: 0, refused: 0, notCommitted: 0, unknown: 0)
        for record in self.records {
            switch record.creation {
            case .acknowledged: counts.acknowledged += 1
            case .refused: counts.refused += 1
            case .notCommitted: counts.notCommitted += 1
            case .unknown: counts.unknown += 1
            }
        }

        var landed: [String] = []
        var notLanded: [String] = []
        var resolved: [ObservedTransfer] = []
        do {
            let lookup = try await self.transfers.lookUp(ids: self.records.map(\.intent.id), accounts: self.accounts)
            var existence = Violations()
            var absence = Violations()
            var maybe = Violations()
            for id in lookup.duplicated {
                existence.add("transfer \(id.lowercasedString) is in the ledger more than once")
            }
            for record in self.records {
                let observed = lookup.found[record.intent.id]
                let expected = record.expectedState
                let id = record.intent.id.lowercasedString
                switch expected {
                case .maybe:
                    if !record.isPossible(observed) {
                        maybe.add("transfer \(id) (creation \(record.creation.label), action \(record.actionKnowledge?.label ?? "none")) found as \(observed?.label ?? "absent"), which no answer allows")
                    }
                    if record.creation == .unknown {
                        if let observed {
                            landed.append("\(id) \(observed.status)")
                        } else {
                            notLanded.append(id)
                        }
                    }
                    if let observed { resolved.append(observed) }
                case .absent:
                    if let observed {
                        absence.add("transfer \(id) was \(record.creation.label) but is in the ledger: \(observed.label)")
                    }
                default:
                    if !expected.accepts(observed, intent: record.intent) {
                        existence.add("transfer \(id) should be \(expected.label) (amount \(record.intent.amount)) but is \(observed?.label ?? "absent")")
                    }
                    if let observed { resolved.append(Self.expectedObservation(record, expected) ?? observed) }
                }
            }
            for other in lookup.others ?? [] {
                absence.add("transfer \(other.id.lowercasedString) touches the run's accounts but was never asked for: \(other.label)")
            }
            checks.append(existence.check("acknowledged transfers are in the ledger exactly once with their amounts",
                                          passing: "\(counts.acknowledged) acknowledged, all found as acknowledged"))
            let othersNote = lookup.others == nil ? "" : "; no other transfer touches the run's accounts"
            checks.append(absence.check("refused transfers are absent",
                                        passing: "\(counts.refused + counts.notCommitted) refused or not committed, none in the ledger\(othersNote)"))
            checks.append(maybe.check("transfers with unknown outcomes are in a possible state",
                                      passing: "\(counts.unknown) unknown: \(landed.count) landed, \(notLanded.count) did not"))
            violations.merge(existence)
            violations.merge(absence)
            violations.merge(maybe)

            let balanceCheck = await self.checkBalances(resolved)
            checks.append(balanceCheck.check("balances equal what the acknowledged transfers imply",
                                             passing: "\(self.accounts.count) accounts, four balances each"))
            violations.merge(balanceCheck)
        } catch {
            checks.append(Check(name: "transfers looked up", outcome: "failed", detail: String(describing: error)))
            violations.add("the books could not be read back: \(error)")
        }

        if self.replay.compared + self.replay.inconclusive + self.replay.mismatches == 0 {
            checks.append(Check(name: "replays returned identical bytes", outcome: "skipped", detail: "no replays in this scenario"))
        } else {
            checks.append(Check(
                name: "replays returned identical bytes",
                outcome: self.replay.mismatches == 0 ? "passed" : "failed",
                detail: "\(self.replay.compared) compared, \(self.replay.identical) identical with Idempotent-Replayed: true, \(self.replay.mismatches) mismatched, \(self.replay.inconclusive) without a stored answer to compare"
            ))
        }
        if self.runViolations.count > 0 {
            violations.add(contentsOf: self.runViolations.samples, count: self.runViolations.count)
        }

        switch self.audit {
        case .passed(let detail):
            checks.append(Check(name: "ledger verifier (LedgerAudit)", outcome: "passed", detail: detail))
        case .failed(let detail):
            checks.append(Check(name: "ledger verifier (LedgerAudit)", outcome: "failed", detail: detail))
            violations.add("ledger verifier: \(detail)")
        case .skipped(let reason):
            checks.append(Check(name: "ledger verifier (LedgerAudit)", outcome: "skipped", detail: reason))
        }

        return Result(
            passed: violations.count == 0 && !checks.contains { $0.outcome == "failed" },
            method: self.transfers.method,
            checks: checks,
            violationCount: violations.count,
            violations: violations.samples,
            transfers: self.records.count,
            acknowledged: counts.acknowledged,
            refused: counts.refused,
            notCommitted: counts.notCommitted,
            unknown: counts.unknown,
            unknownLanded: Array(landed.prefix(RunConfiguration.violationsReportedMax)),
            unknownNotLanded: Array(notLanded.prefix(RunConfiguration.violationsReportedMax)),
            accounts: self.accounts.count
        )
    }

    /// For a transfer whose state is known, the balances follow from what was acknowledged,
    /// not from what the ledger shows (which was checked separately).
    private static func expectedObservation(_ record: TransferRecord, _ expected: ExpectedState) -> ObservedTransfer? {
        let intent = record.intent
        let make = { (status: String, posted: Int64) in
            ObservedTransfer(id: intent.id, debitAccountID: intent.debitAccountID, creditAccountID: intent.creditAccountID,
                             amount: intent.amount, pending: intent.pending, status: status, postedAmount: posted)
        }
        switch expected {
        case .posted(let amount): return make("posted", amount)
        case .pending: return make("pending", 0)
        case .voided: return make("voided", 0)
        case .absent, .maybe: return nil
        }
    }

    /// The four balances each account must show, given the transfers' final states.
    static func expectedBalances(_ transfers: [ObservedTransfer], accounts: [UUID]) -> [UUID: ResponseParser.AccountBalances] {
        var balances = Dictionary(uniqueKeysWithValues: accounts.map { ($0, ResponseParser.AccountBalances.zero) })
        for transfer in transfers {
            switch transfer.status {
            case "posted":
                balances[transfer.debitAccountID, default: .zero].debitsPosted += transfer.postedAmount
                balances[transfer.creditAccountID, default: .zero].creditsPosted += transfer.postedAmount
            case "pending":
                balances[transfer.debitAccountID, default: .zero].debitsPending += transfer.amount
                balances[transfer.creditAccountID, default: .zero].creditsPending += transfer.amount
            default:
                break
            }
        }
        return balances
    }

    private func checkBalances(_ resolved: [ObservedTransfer]) async -> Violations {
        var violations = Violations()
        let expected = Self.expectedBalances(resolved, accounts: self.accounts)
        do {
            let actual = try await self.balances.balances(accounts: self.accounts)
            for account in self.accounts {
                let want = expected[account] ?? .zero
                guard let have = actual[account] else {
                    violations.add("account \(account.lowercasedString) could not be read")
                    continue
                }
                if want != have {
                    violations.add("account \(account.lowercasedString) shows \(have.differences(from: want))")
                }
            }
        } catch {
            violations.add("balances could not be read: \(error)")
        }
        return violations
    }
}

/// Violations of one check: all counted, the first few kept for the report.
struct Violations: Sendable {
    private(set) var count = 0
    private(set) var samples: [String] = []

    mutating func add(_ text: String) {
        self.add(contentsOf: [text], count: 1)
    }

    mutating func add(contentsOf texts: [String], count: Int) {
        self.count += count
        for text in texts where self.samples.count < RunConfiguration.violationsReportedMax {
            self.samples.append(text)
        }
    }

    mutating func merge(_ other: Violations) {
        self.add(contentsOf: other.samples, count: other.count)
    }

    func check(_ name: String, passing: String) -> BooksCheck.Check {
        if self.count == 0 {
            return BooksCheck.Check(name: name, outcome: "passed", detail: passing)
        }
        let first = self.samples.first.map { "; first: \($0)" } ?? ""
        return BooksCheck.Check(name: name, outcome: "failed", detail: "\(self.count) violations\(first)")
    }
}
