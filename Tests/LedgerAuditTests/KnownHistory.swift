import Foundation
import LedgerAudit
import LedgerCore

/// Books with a history worked out by hand, built through the committer.
///
/// The wallet W (EUR, code `merchant:42:wallet`, may not go below zero) and the funding account F:
/// - before the period: F→W 10_000, W→F 2_500 — W opens the period at 7_500 (F at −7_500);
/// - in the period: F→W 1_234 and W→F 567 in one request, then F→W 89, and a pending hold
///   F→W 5_000 that books no entry — W closes at 8_256 (credits 2 for 1_323, debits 1 for 567);
/// - after the period: W→F 1_000, and the hold is posted.
struct KnownHistory {
    var wallet: UUID
    var funding: UUID
    /// The in-period entries of the wallet, in sequence order.
    var periodEntries: [Entry]
    var period: StatementPeriod
    /// Booking times: all entries before the period, and the first entry after it.
    var beforeBookedAt: Date
    var afterBookedAt: Date
    var pendingID: UUID
    /// Every transfer the history created (the hold included), and every entry.
    var transferCount: Int
    var entryCount: Int

    static let walletCode = "merchant:42:wallet"
    static let opening: Int128 = 7_500
    static let closing: Int128 = 8_256
    static let walletBalancesAfter: [Int128] = [8_734, 8_167, 8_256]

    static func build(in fixture: AuditFixture) async throws -> KnownHistory {
        let wallet = try await fixture.openAccount(code: walletCode, flags: .debitsMustNotExceedCredits)
        let funding = try await fixture.openAccount()
        let t = AuditFixture.transfer

        let before = try await fixture.submit([t(funding, wallet, 10_000, "EUR", false), t(wallet, funding, 2_500, "EUR", false)])
        // Entries of one request share one booking time; a pause keeps the periods apart.
        try await Task.sleep(for: .milliseconds(20))
        let first = try await fixture.submit([t(funding, wallet, 1_234, "EUR", false), t(wallet, funding, 567, "EUR", false)])
        try await Task.sleep(for: .milliseconds(5))
        let second = try await fixture.submit([t(funding, wallet, 89, "EUR", false), t(funding, wallet, 5_000, "EUR", true)])
        try await Task.sleep(for: .milliseconds(20))
        let pendingID = try requireTransfer(second[1]).id
        let after = try await fixture.submit([t(wallet, funding, 1_000, "EUR", false), .postPending(id: pendingID, amount: nil)])

        let inPeriod = (first + second).flatMap(entries).filter { $0.accountID == wallet }.sorted { $0.sequence < $1.sequence }
        let afterBookedAt = after.flatMap(entries).map(\.createdAt).min()!
        return KnownHistory(
            wallet: wallet, funding: funding, periodEntries: inPeriod,
            period: StatementPeriod(start: inPeriod.first!.createdAt, end: afterBookedAt),
            beforeBookedAt: before.flatMap(entries).map(\.createdAt).max()!, afterBookedAt: afterBookedAt,
            pendingID: pendingID, transferCount: 7, entryCount: 14
        )
    }

    private static func entries(_ effect: LedgerEffect) -> [Entry] {
        if case .transfer(_, let entries, _) = effect { return entries }
        return []
    }
}

private func requireTransfer(_ effect: LedgerEffect) throws -> Transfer {
    guard case .transfer(let transfer, _, _) = effect else {
        throw AuditError(.invalidInput, "expected a transfer effect")
    }
    return transfer
}
