/// Why an audit command could not do what it was asked.
///
/// Database and pool failures stay `PostgresError`s; these are the audit's own reasons, each
/// with a message fit to print on one line.
public struct AuditError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The caller's input is wrong: an unknown account, a bad date or period, an unknown format.
        case invalidInput
        /// The statement cannot be expressed in the chosen format (a camt.053 limit).
        case formatLimit
        /// The stored books contradict themselves; `ledger verify` names the rows.
        case inconsistentBooks
        /// Writing the output failed.
        case output
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

extension AuditError {
    /// One line for a terminal, whatever the error: the audit's own message, or the database's
    /// description with any line breaks folded.
    public static func oneLine(_ error: any Error) -> String {
        let text = (error as? AuditError)?.message ?? String(describing: error)
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
