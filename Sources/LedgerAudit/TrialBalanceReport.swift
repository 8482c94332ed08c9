public import Foundation

/// The trial balance: one row per currency, in minor units.
public struct TrialBalanceReport: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        public var currency: String
        public var debitsPosted: Int128
        public var creditsPosted: Int128
        public var debitsPending: Int128
        public var creditsPending: Int128

        public init(currency: String, debitsPosted: Int128, creditsPosted: Int128, debitsPending: Int128, creditsPending: Int128) {
            self.currency = currency
            self.debitsPosted = debitsPosted
            self.creditsPosted = creditsPosted
            self.debitsPending = debitsPending
            self.creditsPending = creditsPending
        }

        /// Invariant 1 for this currency.
        public var isBalanced: Bool {
            debitsPosted == creditsPosted && debitsPending == creditsPending
        }
    }

    /// The instant the report stands at; nil means the accounts' current balances.
    public var asOf: Date?
    public var rows: [Row]

    public init(asOf: Date?, rows: [Row]) {
        self.asOf = asOf
        self.rows = rows
    }

    /// Exit 0 only when this holds.
    public var isBalanced: Bool { rows.allSatisfy(\.isBalanced) }

    /// A fixed-width table for a terminal, amounts in minor units.
    public var table: String {
        let header = ["currency", "debits_posted", "credits_posted", "debits_pending", "credits_pending", "status"]
        let body = rows.map { row in
            [
                row.currency, String(row.debitsPosted), String(row.creditsPosted), String(row.debitsPending),
                String(row.creditsPending), row.isBalanced ? "balanced" : "UNBALANCED",
            ]
        }
        let all = [header] + body
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { cells in
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                // Text left, numbers right.
                return column == 0 || column == header.count - 1 ? cell + pad : pad + cell
            }.joined(separator: "  ").trimmingTrailingSpaces
        }.joined(separator: "\n")
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
