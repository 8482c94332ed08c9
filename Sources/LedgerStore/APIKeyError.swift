/// Why an API key could not be made, found or changed. These are an operator's mistakes,
/// reported by `ledger keys`; the HTTP layer never shows them to clients.
public struct APIKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A scope name that is not one of `APIKeyScope`'s.
        case unknownScope
        /// A key must have at least one scope.
        case noScopes
        /// The name is empty, too long or holds control characters.
        case invalidName
        /// A rate or burst outside 1 … `APIKey.limitMax`.
        case invalidLimit
        /// No key has that id.
        case notFound
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
