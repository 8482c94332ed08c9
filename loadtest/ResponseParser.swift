import Foundation

/// Reads the few fields the harness needs out of the server's JSON answers.
enum ResponseParser {
    /// The balances of an account answer.
    struct AccountBalances: Sendable, Equatable, Codable {
        var debitsPending: Int64
        var debitsPosted: Int64
        var creditsPending: Int64
        var creditsPosted: Int64

        static let zero = AccountBalances(debitsPending: 0, debitsPosted: 0, creditsPending: 0, creditsPosted: 0)

        /// The balances that differ from `expected`, as "name shown (expected n)".
        func differences(from expected: AccountBalances) -> String {
            let pairs: [(String, Int64, Int64)] = [
                ("debits_pending", self.debitsPending, expected.debitsPending),
                ("debits_posted", self.debitsPosted, expected.debitsPosted),
                ("credits_pending", self.creditsPending, expected.creditsPending),
                ("credits_posted", self.creditsPosted, expected.creditsPosted),
            ]
            return pairs.filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1) (expected \($0.2))" }.joined(separator: ", ")
        }

        var summary: String {
            "debits_pending=\(self.debitsPending) debits_posted=\(self.debitsPosted) credits_pending=\(self.creditsPending) credits_posted=\(self.creditsPosted)"
        }
    }

    /// One item of a batch answer.
    struct BatchItem: Sendable, Equatable {
        var succeeded: Bool
        var status: Int?
        var code: String?
    }

    static func object(_ body: [UInt8]) -> [String: Any]? {
        guard !body.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    static func problemCode(_ body: [UInt8]) -> String? {
        self.object(body)?["code"] as? String
    }

    static func int64(_ value: Any?) -> Int64? {
        if let number = value as? NSNumber { return number.int64Value }
        if let text = value as? String { return Int64(text) }
        return nil
    }

    static func accountBalances(_ body: [UInt8]) -> AccountBalances? {
        guard let object = self.object(body),
              let debitsPending = self.int64(object["debits_pending"]),
              let debitsPosted = self.int64(object["debits_posted"]),
              let creditsPending = self.int64(object["credits_pending"]),
              let creditsPosted = self.int64(object["credits_posted"])
        else { return nil }
        return AccountBalances(debitsPending: debitsPending, debitsPosted: debitsPosted, creditsPending: creditsPending, creditsPosted: creditsPosted)
    }

    static func transfer(_ body: [UInt8]) -> ObservedTransfer? {
        guard let object = self.object(body) else { return nil }
        return self.transfer(object)
    }

    static func transfer(_ object: [String: Any]) -> ObservedTransfer? {
        guard let id = (object["id"] as? String).flatMap(UUID.init(uuidString:)),
              let debit = (object["debit_account_id"] as? String).flatMap(UUID.init(uuidString:)),
              let credit = (object["credit_account_id"] as? String).flatMap(UUID.init(uuidString:)),
              let amount = self.int64(object["amount"]),
              let status = object["status"] as? String
        else { return nil }
        return ObservedTransfer(
            id: id, debitAccountID: debit, creditAccountID: credit, amount: amount,
            pending: (object["pending"] as? Bool) ?? false, status: status,
            postedAmount: self.int64(object["posted_amount"]) ?? (status == "posted" ? amount : 0)
        )
    }

    /// The per-item results of a non-atomic batch answer, in request order. Accepts a top-level
    /// array under `results` / `items` / `transfers` / `data`; an item is a success when its
    /// `status` is 2xx, or when it carries a transfer and no problem.
    static func batchItems(_ body: [UInt8]) -> [BatchItem]? {
        guard let object = self.object(body) else { return nil }
        let list = ["results", "items", "transfers", "data"].lazy.compactMap { object[$0] as? [Any] }.first
        guard let list else { return nil }
        return list.map { element in
            guard let item = element as? [String: Any] else {
                return BatchItem(succeeded: false, status: nil, code: nil)
            }
            let status = self.int64(item["status"]).map(Int.init) ?? self.int64(item["http_status"]).map(Int.init)
            let problem = (item["error"] as? [String: Any]) ?? (item["problem"] as? [String: Any])
            let code = (item["code"] as? String) ?? (problem?["code"] as? String)
            let succeeded: Bool
            if let status, status >= 100 {
                succeeded = (200..<300).contains(status)
            } else {
                succeeded = problem == nil && code == nil && (item["transfer"] != nil || item["id"] != nil)
            }
            return BatchItem(succeeded: succeeded, status: status, code: code)
        }
    }
}
