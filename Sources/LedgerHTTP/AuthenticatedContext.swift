public import Hummingbird

/// A request context that carries who is calling: what `AuthMiddleware` writes and what the
/// rate limiter, the idempotency layer (keys are scoped per API key) and the routes read.
public protocol AuthenticatedRequestContext: RequestContext {
    /// The id (`key_…`) of the API key that authenticated the request; nil on open routes.
    var apiKeyID: String? { get set }
    /// The key's scopes, by name (`accounts:write`, `transfers:write`, `read`, `audit`).
    var scopes: Set<String> { get set }
}

/// The service's own context carries the key the access middlewares found.
extension LedgerRequestContext: AuthenticatedRequestContext {}
