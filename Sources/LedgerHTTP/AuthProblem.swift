public import Hummingbird

/// An RFC 9457 `application/problem+json` answer from the access middlewares (authentication
/// and rate limiting): `type`, `title`, `status`, `detail` and the stable `code` of PRODUCT.md §2.
///
/// The `type` is `about:blank`, so `title` is the status's own phrase and `code` says which
/// problem it is.
public struct AuthProblem: Sendable, Hashable {
    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String
    /// Headers the answer needs besides its content type (`WWW-Authenticate`, `Retry-After`, …).
    public var headers: HTTPFields

    public init(status: HTTPResponse.Status, code: String, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers
    }

    public static let contentType = "application/problem+json"

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

    /// The JSON body, members in a fixed order.
    public var body: [UInt8] {
        let members: [(String, String)] = [
            ("type", Self.jsonString("about:blank")),
            ("title", Self.jsonString(status.reasonPhrase)),
            ("status", String(status.code)),
            ("detail", Self.jsonString(detail)),
            ("code", Self.jsonString(code)),
        ]
        let text = "{" + members.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        return Array(text.utf8)
    }

    public func response() -> Response {
        var fields = headers
        fields[.contentType] = Self.contentType
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// A JSON string literal with the escapes RFC 8259 requires.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
