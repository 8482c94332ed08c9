public import Hummingbird
import LedgerStore
public import NIOCore

/// What the middleware chain learns about a request and hands to the next link.
public struct LedgerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    /// The request id echoed in `X-Request-Id` and logged with every line about the request.
    public var requestID: String = ""

    /// The API key that authenticated the request, set by the authentication middleware.
    /// Idempotency keys are scoped by it (`"default"` when no authentication runs).
    public var apiKeyID: String?
    /// The scopes of that API key (`accounts:write`, `transfers:write`, `read`, `audit`).
    public var scopes: Set<String> = []

    /// The whole request body, collected under the route's size limit by `BodyLimitMiddleware`.
    public var requestBody = ByteBuffer()
    /// The body parsed once, by whichever link first needed it.
    var parsedBody: ParsedBody?

    /// Set by `IdempotencyMiddleware` on POSTs under /v1: the key, its scope and the request's
    /// fingerprint, and where the write handler reports what became of the request.
    var idempotency: IdempotencyTicket?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// The body as JSON, parsed at most once per request.
    mutating func body() -> ParsedBody {
        if let parsedBody { return parsedBody }
        let parsed = ParsedBody(requestBody)
        parsedBody = parsed
        return parsed
    }
}

/// A request body as the write handlers see it.
enum ParsedBody: Sendable {
    /// No bytes at all.
    case empty
    case json(JSONValue)
    case malformed(JSONParseError)

    init(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else {
            self = .empty
            return
        }
        do throws(JSONParseError) {
            self = .json(try JSONParser.parse(Array(buffer.readableBytesView)))
        } catch {
            self = .malformed(error)
        }
    }
}
