import Foundation
import LedgerCore
import Synchronization

/// Everything the run learned about its writes, kept for the books check: one record per
/// transfer asked for, and the comparison of every replay with its original.
final class OutcomeBook: Sendable {
    struct ReplayStatistics: Sendable, Codable {
        var compared = 0
        var identical = 0
        /// Replays that could not be compared: the original or the replay got no stored answer.
        var inconclusive = 0
        var mismatches = 0
    }

    private struct State {
        var transfers: [UUID: TransferRecord] = [:]
        var order: [UUID] = []
        var answers: [Int: Attempt] = [:]
        var parkedReplays: [Int: [(serial: Int, attempt: Attempt)]] = [:]
        var newestSerial = 0
        var replay = ReplayStatistics()
        var violations: [String] = []
        var violationCount = 0
        var batchAnswersUnreadable = 0
    }

    private let state = Mutex(State())
    private let keepAnswers: Bool

    /// Originals' answers are kept this many serials back for replays to be compared with.
    static let answerWindowSerials = 4 * RunConfiguration.replayWindowRequests

    init(keepAnswersForReplay: Bool) {
        self.keepAnswers = keepAnswersForReplay
    }

    /// Books the answer to one request; returns how many transfers it newly acknowledged
    /// (a replay acknowledges nothing new).
    @discardableResult
    func record(_ request: PlannedRequest, _ exchange: Exchange) -> Int {
        // Batch answers are parsed before taking the lock, which every worker shares.
        let items = Self.isBatch(request.role) && exchange.answer?.isSuccess == true
            ? ResponseParser.batchItems(exchange.answer?.body ?? []) : nil
        return self.state.withLock { state in
            let created = Self.book(role: request.role, exchange: exchange, items: items, into: &state)
            guard self.keepAnswers, request.role.isWrite else { return created }
            if case .replay(let originalSerial, _) = request.role {
                if let original = state.answers[originalSerial] {
                    Self.compare(original: original, originalSerial: originalSerial, replay: exchange.final, replaySerial: request.serial, into: &state)
                } else {
                    state.parkedReplays[originalSerial, default: []].append((request.serial, exchange.final))
                }
                return 0
            }
            state.answers[request.serial] = exchange.final
            for parked in state.parkedReplays.removeValue(forKey: request.serial) ?? [] {
                Self.compare(original: exchange.final, originalSerial: request.serial, replay: parked.attempt, replaySerial: parked.serial, into: &state)
            }
            state.newestSerial = max(state.newestSerial, request.serial)
            if state.answers.count > 2 * Self.answerWindowSerials {
                let oldest = state.newestSerial - Self.answerWindowSerials
                state.answers = state.answers.filter { $0.key >= oldest }
            }
            return created
        }
    }

    /// Books transfers that the set-up phase made, which are acknowledged by construction.
    func recordAcknowledged(_ intent: TransferIntent) {
        self.state.withLock { state in
            Self.merge(intent, .acknowledged, into: &state)
        }
    }

    var transfers: [TransferRecord] {
        self.state.withLock { state in state.order.compactMap { state.transfers[$0] } }
    }

    var replayStatistics: ReplayStatistics {
        self.state.withLock { $0.replay }
    }

    /// Replays still waiting for their original's answer count as inconclusive.
    func finishReplays() {
        self.state.withLock { state in
            state.replay.inconclusive += state.parkedReplays.values.reduce(0) { $0 + $1.count }
            state.parkedReplays = [:]
        }
    }

    var violations: (count: Int, samples: [String]) {
        self.state.withLock { ($0.violationCount, $0.violations) }
    }

    var batchAnswersUnreadable: Int {
        self.state.withLock { $0.batchAnswersUnreadable }
    }

    private static func isBatch(_ role: PlannedRequest.Role) -> Bool {
        switch role {
        case .batch: true
        case .replay(_, let original): self.isBatch(original)
        default: false
        }
    }

    private static func book(role: PlannedRequest.Role, exchange: Exchange, items: [ResponseParser.BatchItem]?, into state: inout State) -> Int {
        switch role {
        case .createTransfer(let intent):
            let knowledge = exchange.knowledge
            self.merge(intent, knowledge, into: &state)
            return knowledge == .acknowledged ? 1 : 0
        case .batch(let intents):
            return self.bookBatch(intents, exchange: exchange, items: items, into: &state)
        case .postPending(let id, let amount):
            self.mergeAction(id, .post(amount: amount), exchange.knowledge, into: &state)
            return 0
        case .voidPending(let id):
            self.mergeAction(id, .void, exchange.knowledge, into: &state)
            return 0
        case .replay(_, let original):
            _ = self.book(role: original, exchange: exchange, items: items, into: &state)
            return 0
        case .createAccount, .readAccount, .readTransfer:
            return 0
        }
    }

    private static func bookBatch(_ intents: [TransferIntent], exchange: Exchange, items: [ResponseParser.BatchItem]?, into state: inout State) -> Int {
        guard let answer = exchange.answer, answer.isSuccess else {
            for intent in intents {
                self.merge(intent, exchange.knowledge, into: &state)
            }
            return 0
        }
        guard let items, items.count == intents.count else {
            // A success whose per-item results cannot be read leaves every item's fate to the lookup.
            state.batchAnswersUnreadable += 1
            for intent in intents {
                self.merge(intent, .unknown, into: &state)
            }
            return 0
        }
        var created = 0
        for (intent, item) in zip(intents, items) {
            let knowledge: Knowledge
            if item.succeeded {
                knowledge = .acknowledged
            } else if let status = item.status, status >= 500 {
                knowledge = .notCommitted(status: status, code: item.code)
            } else {
                knowledge = .refused(status: item.status ?? answer.status, code: item.code)
            }
            self.merge(intent, knowledge, into: &state)
            created += item.succeeded ? 1 : 0
        }
        return created
    }

    private static func merge(_ intent: TransferIntent, _ knowledge: Knowledge, into state: inout State) {
        if var record = state.transfers[intent.id] {
            record.creation = record.creation.merged(with: knowledge)
            state.transfers[intent.id] = record
        } else {
            state.transfers[intent.id] = TransferRecord(intent: intent, creation: knowledge, action: nil, actionKnowledge: nil)
            state.order.append(intent.id)
        }
    }

    private static func mergeAction(_ id: UUID, _ action: TransferRecord.Action, _ knowledge: Knowledge, into state: inout State) {
        guard var record = state.transfers[id] else {
            self.violation("a post or void was booked for transfer \(id.lowercasedString), which was never created", into: &state)
            return
        }
        record.action = action
        record.actionKnowledge = record.actionKnowledge.map { $0.merged(with: knowledge) } ?? knowledge
        state.transfers[id] = record
    }

    private static func compare(original: Attempt, originalSerial: Int, replay: Attempt, replaySerial: Int, into state: inout State) {
        guard case .answered(let first) = original, first.isSuccess || Exchange.isStoredRefusal(first),
              case .answered(let again) = replay, again.isSuccess || Exchange.isStoredRefusal(again)
        else {
            state.replay.inconclusive += 1
            return
        }
        state.replay.compared += 1
        var problems: [String] = []
        if first.status != again.status {
            problems.append("status \(again.status) instead of \(first.status)")
        }
        if first.body != again.body {
            problems.append("body differs (\(again.body.count) bytes instead of \(first.body.count))")
        }
        if !again.replayed {
            problems.append("no Idempotent-Replayed: true")
        }
        if problems.isEmpty {
            state.replay.identical += 1
        } else {
            state.replay.mismatches += 1
            self.violation("replay #\(replaySerial) of request #\(originalSerial): " + problems.joined(separator: ", "), into: &state)
        }
    }

    private static func violation(_ text: String, into state: inout State) {
        state.violationCount += 1
        if state.violations.count < RunConfiguration.violationsReportedMax {
            state.violations.append(text)
        }
    }
}
