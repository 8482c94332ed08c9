import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerStore
import Logging
import NIOCore
import Postgres

extension Problem {
    /// The problem for a rule of the ledger that a write broke (PRODUCT.md §2).
    ///
    /// `validation_failed` here is 422: the request was well-formed JSON of the right types, and
    /// the engine refused a value; shape and type errors are 400s raised while decoding.
    init(ledgerError error: LedgerError, fieldPrefix: String = "") {
        self.init(
            status: Self.status(forWriteError: error.code), code: error.code.rawValue, detail: error.detail,
            field: error.field.map { fieldPrefix + $0 }
        )
    }

    static func status(forWriteError code: LedgerError.Code) -> HTTPResponse.Status {
        switch code {
        case .accountNotFound, .transferNotFound: .notFound
        case .transferNotPending, .pendingExpired, .idConflict: .conflict
        default: .unprocessableContent
        }
    }

    /// The problem for a failed read. A read only refuses its inputs (a cursor it did not
    /// issue), so its validation failures are 400s.
    init(readError error: LedgerError) {
        let status: HTTPResponse.Status = error.code == .validationFailed ? .badRequest : Self.status(forWriteError: error.code)
        self.init(status: status, code: error.code.rawValue, detail: error.detail, field: error.field)
    }

    /// Turns anything a handler or middleware threw into the problem to answer with.
    ///
    /// Only a real fault inside the service becomes a 500, and it is logged here with the
    /// request id; its details never reach the client.
    static func from(_ error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as LedgerError:
            return Problem(readError: error)
        case let error as StoreError:
            if let retryAfterSeconds = error.retryAfterSeconds {
                logger.warning("write refused", metadata: ["ledger.store.error": "\(error)"])
                return .unavailable("the ledger cannot take writes right now; nothing was written", retryAfterSeconds: retryAfterSeconds)
            }
            logger.error("write failed", metadata: ["ledger.store.error": "\(error)"])
            return .internalError
        case let error as PostgresError where error.isUnavailability:
            logger.warning("database unavailable", metadata: ["db.error": "\(error)"])
            return .unavailable("the database is unavailable")
        case is NIOTooManyBytesError:
            return .payloadTooLarge(bytesMax: nil)
        case let error as HTTPError:
            return Problem(
                status: error.status, code: error.status == .notFound ? "not_found" : "validation_failed",
                detail: error.status == .notFound ? "no such route" : (error.body ?? error.status.reasonPhrase)
            )
        case let error as any HTTPResponseError where (400..<500).contains(error.status.code):
            return Problem(status: error.status, code: "validation_failed", detail: error.status.reasonPhrase)
        default:
            logger.error("request failed with an unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return .internalError
        }
    }

    static func payloadTooLarge(bytesMax: Int?) -> Problem {
        Problem(
            status: .contentTooLarge, code: "payload_too_large",
            detail: bytesMax.map { "the request body is larger than \($0) bytes" } ?? "the request body is too large"
        )
    }
}

extension PostgresError {
    /// Whether the database could not be reached or was shutting down, as opposed to a
    /// statement it refused: the first is a 503 a retry may cure, the second a fault.
    var isUnavailability: Bool {
        switch kind {
        case .connect, .connectionLost, .poolExhausted, .poolClosed, .retriesExhausted, .timeout:
            return true
        case .server:
            guard let sqlState else { return false }
            return sqlState.hasPrefix("08") || sqlState.hasPrefix("53") || sqlState.hasPrefix("57")
        case .decode, .copy:
            return false
        }
    }
}
