import Foundation
import LedgerAudit
import LedgerCore
import LedgerTestSupport
import Testing

@Suite("Statements from the live books")
struct StatementTests {
    @Test("CSV: opening, every entry with its running balance, totals and closing match the hand-computed history")
    func csv() async throws {
        try await AuditFixture.with(label: "stmtcsv") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            let (statement, text) = try await fixture.export(try AccountReference(KnownHistory.walletCode), history.period, .csv)
            #expect(statement.openingBalance == KnownHistory.opening)
            #expect(statement.closingBalance == KnownHistory.closing)

            let rows = text.components(separatedBy: "\r\n").dropLast().map { $0.components(separatedBy: ",") }
            #expect(text.hasSuffix("\r\n"))
            #expect(rows.first?.joined(separator: ",") == CSVStatementWriter.header)
            #expect(rows.allSatisfy { $0.count == 11 })
            let opening = try #require(rows.first { $0[0] == "opening" })
            #expect(opening[1] == history.wallet.uuidString.lowercased())
            #expect(opening[2] == KnownHistory.walletCode)
            #expect(opening[3] == "EUR")
            #expect(opening[9] == "7500")

            let lines = rows.filter { $0[0] == "entry" }
            #expect(lines.map { $0[4] } == history.periodEntries.map { String($0.sequence) })
            #expect(lines.map { $0[6] } == history.periodEntries.map { $0.transferID.uuidString.lowercased() })
            #expect(lines.map { $0[7] } == ["credit", "debit", "credit"])
            #expect(lines.map { $0[8] } == ["1234", "567", "89"])
            #expect(lines.map { $0[9] } == KnownHistory.walletBalancesAfter.map { String($0) })

            let debits = try #require(rows.first { $0[0] == "debits" })
            #expect(debits[8] == "567" && debits[10] == "1")
            let credits = try #require(rows.first { $0[0] == "credits" })
            #expect(credits[8] == "1323" && credits[10] == "2")
            #expect(rows.last?[0] == "closing")
            #expect(rows.last?[9] == "8256")
        }
    }

    @Test("JSON: the same history, parsed back")
    func json() async throws {
        try await AuditFixture.with(label: "stmtjson") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            let (_, text) = try await fixture.export(AccountReference(id: history.wallet), history.period, .json)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(object["opening_balance"] as? Int == 7_500)
            #expect(object["closing_balance"] as? Int == 8_256)
            let account = try #require(object["account"] as? [String: Any])
            #expect(account["id"] as? String == history.wallet.uuidString.lowercased())
            #expect(account["currency"] as? String == "EUR")
            #expect(account["minor_units"] as? Int == 2)
            let entries = try #require(object["entries"] as? [[String: Any]])
            #expect(entries.compactMap { $0["sequence"] as? Int }.map(Int64.init) == history.periodEntries.map(\.sequence))
            #expect(entries.compactMap { $0["amount"] as? Int } == [1_234, 567, 89])
            #expect(entries.compactMap { $0["balance_after"] as? Int } == [8_734, 8_167, 8_256])
            let totals = try #require(object["totals"] as? [String: [String: Int]])
            #expect(totals["debits"] == ["count": 1, "amount": 567])
            #expect(totals["credits"] == ["count": 2, "amount": 1_323])
        }
    }

    @Test("camt.053: validates against the camt.053.001.08 XSD and carries the hand-computed balances as decimals")
    func camt053() async throws {
        try await AuditFixture.with(label: "stmtcamt") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            let (_, wallet) = try await fixture.export(AccountReference(id: history.wallet), history.period, .camt053)
            let validation = try XMLTool.validate(wallet)
            #expect(validation.status == 0, "xmllint: \(validation.output)")

            let stmt = "/*[local-name()='Document']/*[local-name()='BkToCstmrStmt']/*[local-name()='Stmt']"
            let balance = { (code: String, field: String) in
                "\(stmt)/*[local-name()='Bal'][*[local-name()='Tp']/*[local-name()='CdOrPrtry']/*[local-name()='Cd']='\(code)']/*[local-name()='\(field)']"
            }
            #expect(try XMLTool.value(balance("OPBD", "Amt"), in: wallet) == "75.00")
            #expect(try XMLTool.value(balance("OPBD", "CdtDbtInd"), in: wallet) == "CRDT")
            #expect(try XMLTool.value(balance("CLBD", "Amt"), in: wallet) == "82.56")
            #expect(try XMLTool.value("\(stmt)/*[local-name()='Acct']/*[local-name()='Id']/*[local-name()='Othr']/*[local-name()='Id']", in: wallet) == KnownHistory.walletCode)
            #expect(try XMLTool.value("count(\(stmt)/*[local-name()='Ntry'])", in: wallet) == "3")
            let summary = "\(stmt)/*[local-name()='TxsSummry']"
            #expect(try XMLTool.value("\(summary)/*[local-name()='TtlCdtNtries']/*[local-name()='Sum']", in: wallet) == "13.23")
            #expect(try XMLTool.value("\(summary)/*[local-name()='TtlDbtNtries']/*[local-name()='NbOfNtries']", in: wallet) == "1")
            let first = "\(stmt)/*[local-name()='Ntry'][1]"
            #expect(try XMLTool.value("\(first)/*[local-name()='Amt']", in: wallet) == "12.34")
            #expect(try XMLTool.value("\(first)/*[local-name()='AcctSvcrRef']", in: wallet) == String(history.periodEntries[0].sequence))
            let endToEnd = "\(first)/*[local-name()='NtryDtls']/*[local-name()='TxDtls']/*[local-name()='Refs']/*[local-name()='EndToEndId']"
            let expectedReference = history.periodEntries[0].transferID.uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            #expect(try XMLTool.value(endToEnd, in: wallet) == expectedReference)

            // The funding account runs a debit balance: the sign moves into CdtDbtInd.
            let (_, funding) = try await fixture.export(AccountReference(id: history.funding), history.period, .camt053)
            #expect(try XMLTool.validate(funding).status == 0)
            #expect(try XMLTool.value(balance("OPBD", "Amt"), in: funding) == "75.00")
            #expect(try XMLTool.value(balance("OPBD", "CdtDbtInd"), in: funding) == "DBIT")
            #expect(try XMLTool.value(balance("CLBD", "Amt"), in: funding) == "82.56")
            #expect(try XMLTool.value(balance("CLBD", "CdtDbtInd"), in: funding) == "DBIT")
        }
    }

    @Test("periods: before the first entry, after the last, and parsed from days")
    func periods() async throws {
        try await AuditFixture.with(label: "stmtperiod") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            let wallet = AccountReference(id: history.wallet)
            let empty = StatementPeriod(start: Date(timeIntervalSince1970: 0), end: Date(timeIntervalSince1970: 1))
            let (before, _) = try await fixture.export(wallet, empty, .csv)
            #expect(before.openingBalance == 0 && before.closingBalance == 0 && before.lineCount == 0)

            let tail = StatementPeriod(start: history.afterBookedAt, end: history.afterBookedAt.addingTimeInterval(3_600))
            let (after, _) = try await fixture.export(wallet, tail, .json)
            // W→F 1_000 and the posted hold F→W 5_000.
            #expect(after.openingBalance == KnownHistory.closing)
            #expect(after.closingBalance == KnownHistory.closing - 1_000 + 5_000)

            let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
            let (whole, _) = try await fixture.export(wallet, try StatementPeriod.parse(from: "2000-01-01", to: today), .csv)
            #expect(whole.openingBalance == 0)
            #expect(whole.lineCount == 7)
            #expect(whole.closingBalance == KnownHistory.closing + 4_000)
        }
    }

    @Test("the exporter streams through a bounded buffer")
    func boundedChunks() async throws {
        try await AuditFixture.with(label: "stmtchunk") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            var configuration = StatementExporter.Configuration()
            configuration.bufferBytesMax = 200
            let output = MemoryOutput()
            try await StatementExporter(pool: fixture.database.pool, configuration: configuration, logger: fixture.logger)
                .export(account: AccountReference(id: history.wallet), period: history.period, format: .camt053, to: output)
            // The header goes out at once; after it, no chunk exceeds the limit by more than one line.
            #expect(output.chunkSizes.count > 2)
            #expect(output.chunkSizes.dropFirst().allSatisfy { $0 < 200 + 600 })
        }
    }

    @Test("an unknown account is an input error and leaves no output file")
    func unknownAccount() async throws {
        try await AuditFixture.with(label: "stmtunknown") { fixture in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("statement-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = try AtomicFileOutput(path: directory.appendingPathComponent("out.csv").path)
            let error = await #expect(throws: AuditError.self) {
                try await StatementExporter(pool: fixture.database.pool, logger: fixture.logger)
                    .export(account: try AccountReference("nobody:here"), period: try .parse(from: "2020-01-01", to: "2020-01-31"), format: .csv, to: file)
            }
            #expect(error?.kind == .invalidInput)
            file.discard()
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        }
    }

    @Test("a statement whose stored running balances do not add up is refused, and no file is left")
    func inconsistentBooks() async throws {
        try await AuditFixture.with(label: "stmtbad") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            try await fixture.tamper("UPDATE entries SET balance_after = balance_after + 1 WHERE sequence = \(history.periodEntries[1].sequence)")
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("statement-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("wallet.xml").path
            do {
                let file = try AtomicFileOutput(path: path)
                let error = await #expect(throws: AuditError.self) {
                    try await StatementExporter(pool: fixture.database.pool, logger: fixture.logger)
                        .export(account: AccountReference(id: history.wallet), period: history.period, format: .camt053, to: file)
                }
                #expect(error?.kind == .inconsistentBooks)
                #expect(error?.message.contains("entry \(history.periodEntries[1].sequence)") == true)
                file.discard()
            }
            // The output was discarded uncommitted, as the CLI does on any error: its temporary
            // file is gone and nothing was renamed into place.
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        }
    }
}
