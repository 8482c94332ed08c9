public import HTTPTypes
public import Hummingbird
import NIOCore

/// An RFC 9457 problem: the one shape every error response of the service takes.
///
/// `code` is the stable identifier clients branch on; `type` is derived from it; `detail` is a
/// sentence for humans that never holds internals; `field` names the request field at fault.
public struct Problem: Error, HTTPResponseError, Sendable, Hashable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String
    public var field: String?
    /// Sent as `Retry-After` when a retry can help (503, 409 in flight, 429).
    public var retryAfterSeconds: Int?

    public init(status: HTTPResponse.Status, code: String, detail: String, field: String? = nil, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.retryAfterSeconds = retryAfterSeconds
    }

    public static let contentType = "application/problem+json"

    /// The problem type URI: a stable name per code, documented in Specs/openapi.yaml.
    public var type: String { "urn:ledger:problem:\(code)" }

    /// A short, fixed summary per code, as RFC 9457 asks (`detail` carries the specifics).
    public var title: String {
        Self.titles[code] ?? status.reasonPhrase
    }

    /// The problem+json body. Field order is fixed, so the same problem always has the same bytes.
    public var body: [UInt8] {
        var writer = JSONWriter(capacity: 160)
        writer.objectStart()
        writeMembers(into: &writer)
        writer.objectEnd()
        return writer.bytes
    }

    /// The standard members, for a body that adds extension members after them.
    func writeMembers(into writer: inout JSONWriter) {
        writer.field("type", type)
        writer.field("title", title)
        writer.field("status", status.code)
        writer.field("detail", detail)
        writer.field("code", code)
        if let field { writer.field("field", field) }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    public func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = Self.contentType
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    public var description: String {
        "\(status.code) \(code): \(detail)" + (field.map { " (\($0))" } ?? "")
    }

    static let titles: [String: String] = [
        "validation_failed": "The request is not valid",
        "account_not_found": "Account not found",
        "transfer_not_found": "Transfer not found",
        "currency_mismatch": "Currencies do not match",
        "same_account": "Debit and credit accounts are the same",
        "insufficient_funds": "Insufficient funds",
        "limit_exceeded": "Account limit exceeded",
        "transfer_not_pending": "Transfer is not pending",
        "amount_exceeds_pending": "Amount exceeds the pending amount",
        "pending_expired": "Pending transfer has expired",
        "id_conflict": "The id exists with other fields",
        "batch_item_failed": "Another item of the atomic batch failed",
        "idempotency_key_missing": "Idempotency-Key header is required",
        "idempotency_key_reused": "Idempotency-Key was used for another request",
        "idempotency_key_in_flight": "A request with this Idempotency-Key is in progress",
        "unauthorized": "Authentication required",
        "forbidden": "Not allowed",
        "rate_limited": "Too many requests",
        "payload_too_large": "Request body too large",
        "not_found": "Not found",
        "unavailable": "Service unavailable",
        "internal_error": "Internal error",
    ]
}

extension Problem {
    /// A 400 for a request whose shape or types are wrong, found before anything ran.
    static func invalid(_ detail: String, field: String? = nil) -> Problem {
        Problem(status: .badRequest, code: "validation_failed", detail: detail, field: field)
    }

    static func unavailable(_ detail: String, retryAfterSeconds: Int = 1) -> Problem {
        Problem(status: .serviceUnavailable, code: "unavailable", detail: detail, retryAfterSeconds: retryAfterSeconds)
    }

    static let internalError = Problem(
        status: .internalServerError, code: "internal_error", detail: "the service failed to handle the request; it has been logged"
    )

    static let idempotencyKeyMissing = Problem(
        status: .badRequest, code: "idempotency_key_missing", detail: "every POST under /v1 needs an Idempotency-Key header",
        field: "Idempotency-Key"
    )

    static let idempotencyKeyReused = Problem(
        status: .unprocessableContent, code: "idempotency_key_reused",
        detail: "this Idempotency-Key was used for a request with another method, path or body"
    )

    static let idempotencyKeyInFlight = Problem(
        status: .conflict, code: "idempotency_key_in_flight",
        detail: "a request with this Idempotency-Key is still running; retry later", retryAfterSeconds: 1
    )
}
