public import LedgerStore

/// What a route asks of the caller.
public enum AuthRequirement: Sendable, Hashable {
    /// Anyone may call it: health, readiness and metrics.
    case open
    /// Any valid key; used where no route exists, so unknown `/v1` paths say 401 before 404.
    case authenticated
    /// A valid key that has this scope.
    case scope(APIKeyScope)
}
