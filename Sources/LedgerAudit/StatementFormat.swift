/// The formats `ledger statement` writes (Specs/STATEMENTS.md).
public enum StatementFormat: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// RFC 4180 CSV, amounts in minor units.
    case csv
    /// One JSON object, amounts in minor units.
    case json
    /// ISO 20022 `camt.053.001.08` XML, amounts as decimals in the currency's minor unit.
    case camt053

    /// - Throws: `AuditError(.invalidInput)` naming the known formats.
    public init(parsing text: String) throws(AuditError) {
        guard let format = StatementFormat(rawValue: text.lowercased()) else {
            let known = StatementFormat.allCases.map(\.rawValue).joined(separator: ", ")
            throw AuditError(.invalidInput, "unknown format \(text.debugDescription): use one of \(known)")
        }
        self = format
    }

    /// A fresh writer for one statement.
    public func makeWriter() -> any StatementWriter & Sendable {
        switch self {
        case .csv: CSVStatementWriter()
        case .json: JSONStatementWriter()
        case .camt053: CAMT053StatementWriter()
        }
    }

    public var fileExtension: String {
        switch self {
        case .csv: "csv"
        case .json: "json"
        case .camt053: "xml"
        }
    }

    public var description: String { rawValue }
}
