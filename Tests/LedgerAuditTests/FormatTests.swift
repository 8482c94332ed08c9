import Foundation
import LedgerCore
import Testing

@testable import LedgerAudit

@Suite("Statement formats without a database")
struct FormatTests {
    static let instant = Date(microsecondsSinceEpoch: 1_700_000_000_123_456)

    static func statement(currency: String, code: String? = "shop:1", opening: Int128, debits: StatementTotal, credits: StatementTotal) -> Statement {
        let account = Account(id: UUID(uuidString: "01890000-0000-7000-8000-000000000001")!, code: code, currency: Currency(currency)!, flags: [], metadata: nil, createdAt: instant)
        return Statement(
            messageID: "m1", statementID: "s1", createdAt: instant, account: account,
            period: StatementPeriod(start: instant, end: instant.addingTimeInterval(60)),
            openingBalance: opening, closingBalance: opening + credits.amount - debits.amount, debits: debits, credits: credits
        )
    }

    static func render(_ writer: some StatementWriter, _ statement: Statement, _ lines: [StatementLine]) throws(AuditError) -> String {
        var writer = writer
        var buffer: [UInt8] = []
        try writer.begin(statement, into: &buffer)
        for line in lines { try writer.line(line, of: statement, into: &buffer) }
        try writer.finish(statement, into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    @Test("RFC 3339: formatting keeps microseconds; days and instants parse, nonsense does not")
    func timestamps() {
        #expect(RFC3339.format(Self.instant) == "2023-11-14T22:13:20.123456Z")
        #expect(RFC3339.format(microseconds: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC3339.format(microseconds: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(RFC3339.parseInstant("2023-11-14T22:13:20.123456Z") == 1_700_000_000_123_456)
        #expect(RFC3339.parseInstant("2023-11-14T23:13:20.1+01:00") == 1_700_000_000_100_000)
        #expect(RFC3339.parseDay("2024-02-29") == 1_709_164_800_000_000)
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "yesterday", "2024-01-01T25:00:00Z", "2024-01-01T00:00:00", "2024-01-01T00:00:00.1234567Z", ""] {
            #expect(RFC3339.parseDay(bad) == nil && RFC3339.parseInstant(bad) == nil, "\(bad)")
        }
    }

    @Test("periods: a --to day is included, a --to instant excluded, and from after to is refused")
    func periods() throws {
        let days = try StatementPeriod.parse(from: "2024-01-01", to: "2024-01-31")
        #expect(RFC3339.format(days.start) == "2024-01-01T00:00:00.000000Z")
        #expect(RFC3339.format(days.end) == "2024-02-01T00:00:00.000000Z")
        let oneDay = try StatementPeriod.parse(from: "2024-01-01", to: "2024-01-01")
        #expect(oneDay.end.timeIntervalSince(oneDay.start) == 86_400)
        let instants = try StatementPeriod.parse(from: "2024-01-01T10:00:00Z", to: "2024-01-01T12:00:00.5Z")
        #expect(RFC3339.format(instants.end) == "2024-01-01T12:00:00.500000Z")
        let mixed = try StatementPeriod.parse(from: "2024-01-01T23:00:00+02:00", to: "2024-01-01")
        #expect(RFC3339.format(mixed.start) == "2024-01-01T21:00:00.000000Z")
        let empty = try StatementPeriod.parse(from: "2024-01-01T10:00:00Z", to: "2024-01-01T10:00:00Z")
        #expect(empty.start == empty.end)
        for (from, to) in [("2024-02-01", "2024-01-31"), ("2024-01-02T00:00:00Z", "2024-01-01"), ("2024-01-01T00:00:01Z", "2024-01-01T00:00:00Z"), ("2024-01-01", "soon"), ("1/1/2024", "2024-01-02")] {
            let error = #expect(throws: AuditError.self) { try StatementPeriod.parse(from: from, to: to) }
            #expect(error?.kind == .invalidInput)
        }
        #expect(RFC3339.format(try TrialBalance.parseAsOf("2024-01-31")) == "2024-01-31T23:59:59.999999Z")
        #expect(throws: AuditError.self) { try TrialBalance.parseAsOf("31/01/2024") }
    }

    @Test("formats and account references are checked before anything runs")
    func inputs() throws {
        #expect(try StatementFormat(parsing: "CAMT053") == .camt053)
        #expect(throws: AuditError.self) { try StatementFormat(parsing: "pdf") }
        #expect(try AccountReference("merchant:42:wallet").id == nil)
        #expect(try AccountReference("01890000-0000-7000-8000-000000000001").id != nil)
        #expect(throws: AuditError.self) { try AccountReference("") }
        #expect(throws: AuditError.self) { try AccountReference("robert'); DROP TABLE accounts;--") }
        #expect(throws: AuditError.self) { try AccountReference(String(repeating: "a", count: 129)) }
    }

    @Test("decimals follow the currency's minor unit")
    func decimals() {
        #expect(TextEncoding.decimal(12_345, minorUnits: 2) == "123.45")
        #expect(TextEncoding.decimal(5, minorUnits: 2) == "0.05")
        #expect(TextEncoding.decimal(0, minorUnits: 2) == "0.00")
        #expect(TextEncoding.decimal(1_234, minorUnits: 0) == "1234")
        #expect(TextEncoding.decimal(1_234, minorUnits: 3) == "1.234")
        #expect(TextEncoding.fits(999_999_999_999_999_999, minorUnits: 2, totalDigits: 18))
        #expect(!TextEncoding.fits(1_000_000_000_000_000_000, minorUnits: 2, totalDigits: 18))
    }

    @Test("escaping: XML entities, JSON control characters, CSV quotes")
    func escaping() {
        #expect(TextEncoding.xml("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;")
        #expect(TextEncoding.xml("plain") == "plain")
        #expect(TextEncoding.json("a\"b\\c\nd\u{1}") == "\"a\\\"b\\\\c\\nd\\u0001\"")
        #expect(TextEncoding.csv("a,b") == "\"a,b\"")
        #expect(TextEncoding.csv("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(TextEncoding.csv("merchant:42") == "merchant:42")
    }

    @Test("camt.053 renders JPY without and BHD with three decimals, and validates")
    func camtMinorUnits() throws {
        let line = StatementLine(sequence: 9, bookedAt: Self.instant, transferID: UUID(), direction: .debit, amount: 1_234, balanceAfter: -1_234)
        let yen = try Self.render(CAMT053StatementWriter(), Self.statement(currency: "JPY", opening: 0, debits: .init(count: 1, amount: 1_234), credits: .zero), [line])
        #expect(yen.contains("<Amt Ccy=\"JPY\">1234</Amt><CdtDbtInd>DBIT</CdtDbtInd>"))
        #expect(try XMLTool.validate(yen).status == 0)
        let dinar = try Self.render(CAMT053StatementWriter(), Self.statement(currency: "BHD", code: nil, opening: 5, debits: .init(count: 1, amount: 1_234), credits: .zero), [line])
        #expect(dinar.contains("<Amt Ccy=\"BHD\">0.005</Amt><CdtDbtInd>CRDT</CdtDbtInd>"))
        #expect(dinar.contains("<Amt Ccy=\"BHD\">1.234</Amt>"))
        // Without a code, the account id goes in as 32 hex digits (Max34Text).
        #expect(dinar.contains("<Othr><Id>01890000000070008000000000000001</Id><SchmeNm><Prtry>LEDGER-ID</Prtry>"))
        let validation = try XMLTool.validate(dinar)
        #expect(validation.status == 0, "\(validation.output)")
    }

    @Test("camt.053 refuses what it cannot carry instead of truncating it")
    func camtLimits() {
        let points = Self.statement(currency: "POINTS", opening: 0, debits: .zero, credits: .zero)
        let error = #expect(throws: AuditError.self) { try Self.render(CAMT053StatementWriter(), points, []) }
        #expect(error?.kind == .formatLimit)
        let huge = Self.statement(currency: "EUR", opening: 1_000_000_000_000_000_000, debits: .zero, credits: .zero)
        #expect(throws: AuditError.self) { try Self.render(CAMT053StatementWriter(), huge, []) }
        // CSV and JSON carry the same statements.
        #expect((try? Self.render(CSVStatementWriter(), huge, [])) != nil)
        #expect((try? Self.render(JSONStatementWriter(), points, [])) != nil)
    }

    @Test("JSON with no entries is still one valid document")
    func emptyJSON() throws {
        let text = try Self.render(JSONStatementWriter(), Self.statement(currency: "EUR", opening: 42, debits: .zero, credits: .zero), [])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((object["entries"] as? [Any])?.isEmpty == true)
        #expect(object["opening_balance"] as? Int == 42 && object["closing_balance"] as? Int == 42)
    }

    @Test("an atomic output appears only on commit, and leaves nothing when discarded")
    func atomicOutput() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("s.csv").path

        let kept = try AtomicFileOutput(path: path)
        try kept.write(Array("hello".utf8))
        #expect(!FileManager.default.fileExists(atPath: path))
        try kept.commit()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "hello")

        let dropped = try AtomicFileOutput(path: path)
        try dropped.write(Array("partial".utf8))
        dropped.discard()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "hello")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["s.csv"])

        #expect(throws: AuditError.self) { try AtomicFileOutput(path: directory.appendingPathComponent("missing/s.csv").path) }
    }
}
