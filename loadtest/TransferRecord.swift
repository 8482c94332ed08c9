import Foundation
import LedgerCore

/// What the harness knows about one transfer it asked for: whether its creation and its
/// post or void were acknowledged, refused, or left unknown.
struct TransferRecord: Sendable {
    enum Action: Sendable, Equatable {
        case post(amount: Int64?)
        case void
    }

    var intent: TransferIntent
    var creation: Knowledge
    var action: Action?
    var actionKnowledge: Knowledge?

    /// The state the transfer must be in, when it can be told without looking.
    var expectedState: ExpectedState {
        switch self.creation {
        case .refused, .notCommitted:
            return .absent
        case .unknown:
            return .maybe
        case .acknowledged:
            guard self.intent.pending else { return .posted(amount: self.intent.amount) }
            guard let action = self.action, let knowledge = self.actionKnowledge else { return .pending }
            switch knowledge {
            case .refused, .notCommitted: return .pending
            case .unknown: return .maybe
            case .acknowledged:
                switch action {
                case .post(let amount): return .posted(amount: amount ?? self.intent.amount)
                case .void: return .voided
                }
            }
        }
    }

    /// The states a transfer whose fate is unknown may be found in.
    func isPossible(_ observed: ObservedTransfer?) -> Bool {
        guard let observed else {
            // Absent: possible only if the creation itself was uncertain.
            return self.creation == .unknown
        }
        guard observed.matches(self.intent) else { return false }
        if !self.intent.pending {
            return observed.status == "posted" && observed.postedAmount == self.intent.amount
        }
        if observed.status == "pending" {
            return self.actionKnowledge != .acknowledged
        }
        guard let action = self.action, let knowledge = self.actionKnowledge,
              knowledge == .acknowledged || knowledge == .unknown
        else { return false }
        switch action {
        case .post(let amount): return observed.status == "posted" && observed.postedAmount == (amount ?? self.intent.amount)
        case .void: return observed.status == "voided"
        }
    }
}

/// The state a transfer is expected in after the run.
enum ExpectedState: Sendable, Equatable {
    case absent
    case posted(amount: Int64)
    case pending
    case voided
    /// Its outcome is unknown: it is looked up, and any state consistent with what was
    /// acknowledged is accepted.
    case maybe

    func accepts(_ observed: ObservedTransfer?, intent: TransferIntent) -> Bool {
        switch self {
        case .absent:
            return observed == nil
        case .maybe:
            return true
        case .posted(let amount):
            guard let observed, observed.matches(intent) else { return false }
            return observed.status == "posted" && observed.postedAmount == amount
        case .pending:
            guard let observed, observed.matches(intent) else { return false }
            return observed.status == "pending"
        case .voided:
            guard let observed, observed.matches(intent) else { return false }
            return observed.status == "voided"
        }
    }

    var label: String {
        switch self {
        case .absent: "absent"
        case .posted(let amount): "posted \(amount)"
        case .pending: "pending"
        case .voided: "voided"
        case .maybe: "maybe"
        }
    }
}

/// A transfer as the ledger shows it.
struct ObservedTransfer: Sendable, Equatable {
    var id: UUID
    var debitAccountID: UUID
    var creditAccountID: UUID
    var amount: Int64
    var pending: Bool
    var status: String
    var postedAmount: Int64

    func matches(_ intent: TransferIntent) -> Bool {
        self.id == intent.id && self.debitAccountID == intent.debitAccountID
            && self.creditAccountID == intent.creditAccountID && self.amount == intent.amount
            && self.pending == intent.pending
    }

    var label: String {
        "\(self.status) amount=\(self.amount) posted_amount=\(self.postedAmount) debit=\(self.debitAccountID.lowercasedString) credit=\(self.creditAccountID.lowercasedString)"
    }
}
