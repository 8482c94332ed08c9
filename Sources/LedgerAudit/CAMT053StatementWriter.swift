import Foundation
import LedgerCore

/// ISO 20022 `camt.053.001.08` (BankToCustomerStatementV08), valid against its XSD.
///
/// Amounts are decimals in the currency's minor unit with the sign in `CdtDbtInd`. The format
/// bounds what it can carry, and the writer refuses (rather than truncates) what does not fit:
/// currency codes must be three letters, amounts at most 18 digits. Identifiers longer than the
/// schema's 34/35 characters are written as UUIDs without hyphens (32 hex digits).
/// Specs/STATEMENTS.md maps every element to the ledger's fields.
public struct CAMT053StatementWriter: StatementWriter, Sendable {
    public static let namespace = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
    /// `ActiveOrHistoricCurrencyAndAmount` and `DecimalNumber`: 18 digits in all.
    static let totalDigitsMax = 18
    /// `ActiveOrHistoricCurrencyAndAmount`: at most 5 fraction digits.
    static let fractionDigitsMax = 5
    /// `Max34Text`, the account identification.
    static let accountIDCharactersMax = 34

    private var currency = ""
    private var minorUnits = 0

    public init() {}

    public mutating func begin(_ statement: Statement, into buffer: inout [UInt8]) throws(AuditError) {
        let account = statement.account
        currency = account.currency.code
        minorUnits = account.currency.minorUnits
        guard currency.utf8.count == 3, currency.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
            throw AuditError(
                .formatLimit,
                "camt.053 allows only three-letter currency codes; account \(account.id.lowercasedString) holds \(currency): use --format csv or json"
            )
        }
        guard minorUnits <= Self.fractionDigitsMax else {
            throw AuditError(.formatLimit, "camt.053 allows at most \(Self.fractionDigitsMax) decimal places; \(currency) has \(minorUnits)")
        }

        let accountIdentification: (id: String, scheme: String) =
            if let code = account.code, code.utf8.count <= Self.accountIDCharactersMax {
                (code, "LEDGER-CODE")
            } else {
                (Self.compact(account.id.uuidString), "LEDGER-ID")
            }
        let net = statement.credits.amount - statement.debits.amount
        var text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        text += "<Document xmlns=\"\(Self.namespace)\">\n"
        text += "  <BkToCstmrStmt>\n"
        text += "    <GrpHdr><MsgId>\(TextEncoding.xml(statement.messageID))</MsgId>"
        text += "<CreDtTm>\(RFC3339.format(statement.createdAt))</CreDtTm></GrpHdr>\n"
        text += "    <Stmt>\n"
        text += "      <Id>\(TextEncoding.xml(statement.statementID))</Id>\n"
        text += "      <CreDtTm>\(RFC3339.format(statement.createdAt))</CreDtTm>\n"
        text += "      <FrToDt><FrDtTm>\(RFC3339.format(statement.period.start))</FrDtTm>"
        text += "<ToDtTm>\(RFC3339.format(statement.period.end))</ToDtTm></FrToDt>\n"
        text += "      <Acct><Id><Othr><Id>\(TextEncoding.xml(accountIdentification.id))</Id>"
        text += "<SchmeNm><Prtry>\(accountIdentification.scheme)</Prtry></SchmeNm></Othr></Id>"
        text += "<Ccy>\(currency)</Ccy></Acct>\n"
        text += "      " + (try balance("OPBD", statement.openingBalance, at: RFC3339.format(statement.period.start))) + "\n"
        text += "      " + (try balance("CLBD", statement.closingBalance, at: RFC3339.format(statement.period.end))) + "\n"
        text += "      <TxsSummry>"
        text += "<TtlNtries><NbOfNtries>\(statement.lineCount)</NbOfNtries>"
        text += "<Sum>\(try decimal(statement.credits.amount + statement.debits.amount, "the sum of all entries"))</Sum>"
        text += "<TtlNetNtry><Amt>\(try decimal(net.magnitudeInt128, "the net of all entries"))</Amt>"
        text += "<CdtDbtInd>\(Self.indicator(net))</CdtDbtInd></TtlNetNtry></TtlNtries>"
        text += "<TtlCdtNtries><NbOfNtries>\(statement.credits.count)</NbOfNtries>"
        text += "<Sum>\(try decimal(statement.credits.amount, "the sum of credits"))</Sum></TtlCdtNtries>"
        text += "<TtlDbtNtries><NbOfNtries>\(statement.debits.count)</NbOfNtries>"
        text += "<Sum>\(try decimal(statement.debits.amount, "the sum of debits"))</Sum></TtlDbtNtries>"
        text += "</TxsSummry>\n"
        buffer.append(contentsOf: text.utf8)
    }

    public mutating func line(_ line: StatementLine, of statement: Statement, into buffer: inout [UInt8]) throws(AuditError) {
        let booked = RFC3339.format(line.bookedAt)
        let indicator = line.direction == .credit ? "CRDT" : "DBIT"
        var text = "      <Ntry><Amt Ccy=\"\(currency)\">\(try decimal(Int128(line.amount), "entry \(line.sequence)"))</Amt>"
        text += "<CdtDbtInd>\(indicator)</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        text += "<BookgDt><DtTm>\(booked)</DtTm></BookgDt><ValDt><DtTm>\(booked)</DtTm></ValDt>"
        text += "<AcctSvcrRef>\(line.sequence)</AcctSvcrRef>"
        text += "<BkTxCd><Prtry><Cd>LEDGER-TRANSFER</Cd></Prtry></BkTxCd>"
        text += "<NtryDtls><TxDtls><Refs><EndToEndId>\(Self.compact(line.transferID.uuidString))</EndToEndId></Refs></TxDtls></NtryDtls>"
        text += "</Ntry>\n"
        buffer.append(contentsOf: text.utf8)
    }

    public mutating func finish(_ statement: Statement, into buffer: inout [UInt8]) throws(AuditError) {
        buffer.append(contentsOf: "    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n".utf8)
    }

    private func balance(_ code: String, _ amount: Int128, at instant: String) throws(AuditError) -> String {
        "<Bal><Tp><CdOrPrtry><Cd>\(code)</Cd></CdOrPrtry></Tp>"
            + "<Amt Ccy=\"\(currency)\">\(try decimal(amount.magnitudeInt128, "the \(code) balance"))</Amt>"
            + "<CdtDbtInd>\(Self.indicator(amount))</CdtDbtInd><Dt><DtTm>\(instant)</DtTm></Dt></Bal>"
    }

    private func decimal(_ magnitude: Int128, _ what: String) throws(AuditError) -> String {
        guard TextEncoding.fits(magnitude, minorUnits: minorUnits, totalDigits: Self.totalDigitsMax) else {
            throw AuditError(.formatLimit, "\(what) (\(magnitude) minor units) has more than the \(Self.totalDigitsMax) digits camt.053 allows: use --format csv or json")
        }
        return TextEncoding.decimal(magnitude, minorUnits: minorUnits)
    }

    /// A balance of zero is reported as a credit balance, as banks do.
    private static func indicator(_ amount: Int128) -> String {
        amount < 0 ? "DBIT" : "CRDT"
    }

    /// A UUID as 32 lowercase hex digits, to fit the schema's 34/35-character identifiers.
    static func compact(_ uuid: String) -> String {
        String(uuid.lowercased().unicodeScalars.filter { $0 != "-" })
    }
}

extension Int128 {
    /// The absolute value; every Int128 balance the ledger can hold is far from `Int128.min`.
    var magnitudeInt128: Int128 {
        self < 0 ? 0 - self : self
    }
}
