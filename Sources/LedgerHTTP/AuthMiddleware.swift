public import Hummingbird
import LedgerStore
import Logging

/// Requires `Authorization: Bearer <secret>` wherever the policy says so (PRODUCT.md §4).
///
/// - no header, several, another scheme or a token not shaped like a secret → 401 `unauthorized`;
/// - a secret no key has, or a revoked key's → 401 `unauthorized`;
/// - a valid key without the route's scope → 403 `forbidden`;
/// - the key store unreachable → 503 `unavailable`, because letting an unverified caller through
///   would be worse than a retry.
///
/// On success the context carries the key's id and scopes, and the request's logger names the
/// key by id (`ledger.api_key.id`). The secret and the header are never logged.
public struct AuthMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    let keys: AuthKeyCache
    let policy: AuthPolicy

    public init(keys: AuthKeyCache, policy: AuthPolicy = .ledger) {
        self.keys = keys
        self.policy = policy
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requirement = policy.requirement(request.method, request.uri.path)
        if requirement == .open {
            return try await next(request, context)
        }
        let values = request.headers[values: .authorization]
        guard !values.isEmpty else {
            return refuse(.unauthorized("this route needs an Authorization: Bearer header with an API key", invalidToken: false), reason: "missing", context: context)
        }
        guard values.count == 1, let secret = Self.bearerSecret(values[0]) else {
            return refuse(.unauthorized("the Authorization header must be Bearer followed by an API key", invalidToken: true), reason: "malformed", context: context)
        }
        let key: APIKey?
        do {
            key = try await keys.key(for: secret)
        } catch {
            context.logger.error("API key lookup failed", metadata: ["error": "\(error)"])
            return AuthProblem.unavailable("API keys cannot be checked right now", retryAfterSeconds: 1).response()
        }
        guard let key else {
            return refuse(.unauthorized("the API key is not valid", invalidToken: true), reason: "unknown", context: context)
        }
        var context = context
        context.logger[metadataKey: "ledger.api_key.id"] = .string(key.id)
        guard !key.isRevoked else {
            return refuse(.unauthorized("the API key is not valid", invalidToken: true), reason: "revoked", context: context)
        }
        if case .scope(let scope) = requirement, !key.scopes.contains(scope) {
            return refuse(.forbidden("this API key lacks the scope \(scope.rawValue)"), reason: "scope", context: context)
        }
        context.apiKeyID = key.id
        context.scopes = Set(key.scopes.map(\.rawValue))
        return try await next(request, context)
    }

    private func refuse(_ problem: AuthProblem, reason: String, context: Context) -> Response {
        context.logger.info("request refused", metadata: ["ledger.auth.refusal": .string(reason), "http.status": "\(problem.status.code)"])
        return problem.response()
    }

    /// The secret of a `Bearer` credential (RFC 6750 §2.1: the scheme is case-insensitive and
    /// followed by one or more spaces), or nil when the header is anything else.
    static func bearerSecret(_ value: String) -> APIKeySecret? {
        let scheme = "bearer"
        guard value.utf8.count > scheme.utf8.count, value.prefix(scheme.count).lowercased() == scheme else { return nil }
        let rest = value.dropFirst(scheme.count)
        guard rest.first == " " else { return nil }
        let token = rest.drop(while: { $0 == " " })
        guard !token.contains(" ") else { return nil }
        return APIKeySecret(presented: token)
    }
}
