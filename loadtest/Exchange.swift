import Foundation

/// One answer from the server.
struct HTTPAnswer: Sendable {
    var status: Int
    var body: [UInt8]
    /// `Idempotent-Replayed: true` was present.
    var replayed: Bool
    var retryAfterSeconds: Double?
    /// The problem+json `code` of an error answer.
    var problemCode: String?

    var isSuccess: Bool { (200..<300).contains(self.status) }
}

/// One try at a request: an answer, or a transport failure (timeout, refused or reset
/// connection) after which the server may or may not have done the work.
enum Attempt: Sendable {
    case answered(HTTPAnswer)
    case failed(transportError: String)
}

/// A request as it finally went: the last attempt, and how many it took.
struct Exchange: Sendable {
    var final: Attempt
    var attempts: Int
    var retryReasons: [String]
    /// Some attempt failed in transport, so an earlier try may have been carried out even if
    /// the last answer says otherwise.
    var sawTransportError: Bool

    var answer: HTTPAnswer? {
        if case .answered(let answer) = self.final { return answer }
        return nil
    }

    /// What this exchange tells about the write it carried.
    var knowledge: Knowledge {
        guard let answer = self.answer else { return .unknown }
        if answer.isSuccess { return .acknowledged }
        if Self.isStoredRefusal(answer) { return .refused(status: answer.status, code: answer.problemCode) }
        // A 5xx, 429 or 409 in-flight means nothing ran for this attempt (PRODUCT.md §3); an
        // earlier attempt lost in transport may still have run.
        return self.sawTransportError ? .unknown : .notCommitted(status: answer.status, code: answer.problemCode)
    }

    /// A 4xx that the server decided on the request itself, and stores with the key.
    static func isStoredRefusal(_ answer: HTTPAnswer) -> Bool {
        guard (400..<500).contains(answer.status) else { return false }
        switch answer.status {
        case 401, 403, 408, 429: return false
        case 409: return answer.problemCode != "idempotency_key_in_flight"
        default: return true
        }
    }
}

/// What is known of one write after all its exchanges.
enum Knowledge: Sendable, Equatable {
    /// A 2xx answer: the write happened.
    case acknowledged
    /// A 4xx decided on the request: the write did not happen.
    case refused(status: Int, code: String?)
    /// Only 5xx, 429 or in-flight answers: per the contract nothing was committed.
    case notCommitted(status: Int, code: String?)
    /// Timeouts or broken connections: the write may or may not have happened.
    case unknown

    /// Combines two observations of one write (an original and its replays). A success wins;
    /// a stored refusal is as final; an unknown outcome outweighs a mere "not now".
    func merged(with other: Knowledge) -> Knowledge {
        func rank(_ knowledge: Knowledge) -> Int {
            switch knowledge {
            case .acknowledged: 3
            case .refused: 2
            case .unknown: 1
            case .notCommitted: 0
            }
        }
        return rank(other) > rank(self) ? other : self
    }

    var label: String {
        switch self {
        case .acknowledged: "acknowledged"
        case .refused(let status, let code): "refused \(status) \(code ?? "-")"
        case .notCommitted(let status, let code): "not committed \(status) \(code ?? "-")"
        case .unknown: "unknown"
        }
    }
}
