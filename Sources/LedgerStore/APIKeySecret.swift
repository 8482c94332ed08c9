import Foundation

/// The secret half of an API key: `ldg_` and the base64url text of 32 random bytes.
///
/// It exists in memory only long enough to be shown once (when made) or digested (when a
/// request presents it). Its `description` is redacted, so a secret interpolated into a log
/// line or an error by mistake does not leak; `text` has to be asked for by name.
public struct APIKeySecret: Sendable, CustomStringConvertible {
    public static let prefix = "ldg_"
    /// Bytes from the operating system's random source in a new secret (the contract asks ≥ 16).
    public static let randomBytesCount = 32
    /// Base64url characters after the prefix that a presented secret may have: 16 random bytes
    /// at least, and a bound so a huge header costs nothing to refuse.
    static let encodedCharactersRange = 22...128

    /// The whole secret, prefix included, as the client sends it.
    public let text: String

    private init(text: String) {
        self.text = text
    }

    /// A new secret from the operating system's random source (`getrandom(2)` on Linux).
    public static func generate() -> APIKeySecret {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<randomBytesCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return APIKeySecret(text: prefix + base64URL(bytes))
    }

    /// Reads a presented secret; nil when it is not shaped like one this service makes, so
    /// malformed tokens are refused without a database lookup.
    public init?(presented text: some StringProtocol) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let encoded = text.utf8.dropFirst(Self.prefix.utf8.count)
        guard Self.encodedCharactersRange.contains(encoded.count),
            encoded.allSatisfy(Self.isBase64URLCharacter)
        else { return nil }
        self.init(text: String(text))
    }

    /// The SHA-256 of the secret's UTF-8 bytes: all that is stored, and what keys are found by.
    public var digest: [UInt8] {
        SHA256.hash(Array(text.utf8))
    }

    public var description: String { Self.prefix + "…(redacted)" }

    /// Compares two byte strings in time that depends only on their lengths, never on where
    /// they first differ, so response timing cannot reveal how much of a digest matched.
    /// Lengths are not secret here: every digest is 32 bytes.
    public static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }

    private static func isBase64URLCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    /// Base64url without padding (RFC 4648 §5): safe in headers, URLs and shell variables.
    private static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
