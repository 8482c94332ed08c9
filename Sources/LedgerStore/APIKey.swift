public import Foundation

/// An API key as stored: everything but its secret, which only its maker ever sees.
public struct APIKey: Sendable, Hashable {
    /// `key_` and 24 lowercase hex digits; safe to log, and what logs name a key by.
    public var id: String
    public var name: String
    public var scopes: Set<APIKeyScope>
    /// Requests per second this key may make; nil means the service's configured default.
    public var ratePerSecond: Int?
    /// How many requests this key may make at once after being idle; nil means the default.
    public var burst: Int?
    public var createdAt: Date
    public var revokedAt: Date?

    /// The longest name, in characters.
    public static let nameCharactersMax = 128
    /// The largest rate or burst a key may have; the database checks the same bound.
    public static let limitMax = 1_000_000
    /// Random bytes in an id: enough that two keys never share one.
    static let idRandomBytesCount = 12

    public init(
        id: String, name: String, scopes: Set<APIKeyScope>, ratePerSecond: Int?, burst: Int?,
        createdAt: Date, revokedAt: Date?
    ) {
        self.id = id
        self.name = name
        self.scopes = scopes
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    public var isRevoked: Bool { revokedAt != nil }

    /// A fresh id from the operating system's random source.
    static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<idRandomBytesCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "key_" + SHA256.hex(bytes)
    }

    /// Checks what `create` is given before it reaches the database, so the operator gets a
    /// sentence rather than a constraint name.
    static func validate(name: String, ratePerSecond: Int?, burst: Int?) throws(APIKeyError) {
        guard !name.isEmpty, name.count <= nameCharactersMax else {
            throw APIKeyError(.invalidName, "a key's name has 1 to \(nameCharactersMax) characters")
        }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIKeyError(.invalidName, "a key's name must not contain control characters")
        }
        for (label, value) in [("rate", ratePerSecond), ("burst", burst)] {
            if let value, !(1...limitMax).contains(value) {
                throw APIKeyError(.invalidLimit, "the \(label) must be from 1 to \(limitMax)")
            }
        }
    }
}
