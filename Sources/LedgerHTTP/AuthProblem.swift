public import Hummingbird

/// A refusal from the access middlewares (authentication and rate limiting): the service's
/// RFC 9457 `Problem` plus the headers such refusals need (`WWW-Authenticate`, `Retry-After`,
/// `RateLimit-*`).
public struct AuthProblem: Sendable, Hashable {
    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String
    /// Headers the answer needs besides its content type.
    public var headers: HTTPFields

    public init(status: HTTPResponse.Status, code: String, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
    }

    public static let contentType = Problem.contentType

    /// 401 with the `WWW-Authenticate: Bearer` challenge of RFC 6750; `invalidToken` adds its
    /// `error="invalid_token"` when a token was sent but is no good.
    public static func unauthorized(_ detail: String, invalidToken: Bool) -> AuthProblem {
        var challenge = "Bearer realm=\"ledger\""
        if invalidToken { challenge += ", error=\"invalid_token\"" }
        return AuthProblem(status: .unauthorized, code: "unauthorized", detail: detail, headers: [.wwwAuthenticate: challenge])
    }

    public static func forbidden(_ detail: String) -> AuthProblem {
        AuthProblem(status: .forbidden, code: "forbidden", detail: detail)
    }

    public static func unavailable(_ detail: String, retryAfterSeconds: Int) -> AuthProblem {
        AuthProblem(status: .serviceUnavailable, code: "unavailable", detail: detail, headers: [.retryAfter: String(retryAfterSeconds)])
    }

    /// The service's one problem shape, so these answers read like every other error.
    public var problem: Problem {
        Problem(status: status, code: code, detail: detail)
    }

    /// The problem+json body, members in a fixed order.
    public var body: [UInt8] {
        problem.body
    }

    public func response() -> Response {
        var response = problem.response()
        for field in headers {
            response.headers[field.name] = field.value
        }
        return response
    }
}
