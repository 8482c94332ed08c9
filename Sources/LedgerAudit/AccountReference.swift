import LedgerCore
public import Foundation

/// How the caller names an account: by id or by code.
///
/// A code may itself look like a UUID (codes allow letters, digits and `-`), so text that parses
/// as a UUID is matched against ids first and then against codes.
public struct AccountReference: Sendable, Hashable, CustomStringConvertible {
    /// What the caller typed.
    public let text: String

    /// Codes are 1–128 characters of `A-Za-z0-9:_.-` (PRODUCT.md §1).
    static let codeCharactersMax = 128

    /// - Throws: `AuditError(.invalidInput)` when the text can be neither an id nor a code.
    public init(_ text: String) throws(AuditError) {
        let isCode = !text.isEmpty && text.utf8.count <= Self.codeCharactersMax
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: "."),
                    UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
        guard isCode || UUID(canonical: text) != nil else {
            throw AuditError(.invalidInput, "\(text.debugDescription) is neither an account id (UUID) nor an account code")
        }
        self.text = text
    }

    public init(id: UUID) {
        self.text = id.lowercasedString
    }

    /// The id the text names, if it is a UUID.
    public var id: UUID? { UUID(canonical: text) }

    public var description: String { text }
}
