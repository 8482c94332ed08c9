import Foundation
import LedgerAudit
import LedgerCore
import LedgerTestSupport
import Testing

/// The `ledger` binary itself: exit statuses, one-line errors, no partial files. `make test`
/// exports LEDGER_BIN_DIR; otherwise the debug build next to the package is used.
@Suite("ledger statement, trial-balance and verify on the command line")
struct CLITests {
    static func binary() throws -> String {
        let directory = ProcessInfo.processInfo.environment["LEDGER_BIN_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug").path
        let path = directory + "/ledger"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestEnvironmentError(message: "no ledger binary at \(path): build it (swift build) or set LEDGER_BIN_DIR")
        }
        return path
    }

    static func run(_ arguments: [String], databaseURL: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary())
        process.arguments = arguments + ["--database-url", databaseURL]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a full pipe cannot stall the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("bad input: one line on stderr, exit status 2, no output file")
    func badInput() async throws {
        try await AuditFixture.with(label: "clibad") { fixture in
            _ = try await KnownHistory.build(in: fixture)
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let output = directory.appendingPathComponent("statement.xml").path
            let cases: [(arguments: [String], message: String)] = [
                (["--account", "nobody:here", "--from", "2024-01-01", "--to", "2024-01-31", "--format", "csv"], "no account"),
                (["--account", KnownHistory.walletCode, "--from", "2024-02-01", "--to", "2024-01-31", "--format", "csv"], "is after --to"),
                (["--account", KnownHistory.walletCode, "--from", "2024-02-30", "--to", "2024-03-31", "--format", "csv"], "neither a date"),
                (["--account", KnownHistory.walletCode, "--from", "2024-01-01", "--to", "2024-01-31", "--format", "pdf"], "unknown format"),
            ]
            for (arguments, message) in cases {
                let result = try Self.run(["statement"] + arguments + ["--output", output], databaseURL: fixture.database.url)
                #expect(result.status == 2, "\(arguments)")
                let lines = result.stderr.split(separator: "\n")
                #expect(lines.count == 1, "\(result.stderr)")
                #expect(lines.first?.hasPrefix("ledger statement: error: ") == true && result.stderr.contains(message), "\(result.stderr)")
                #expect(result.stdout.isEmpty)
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
            }
        }
    }

    @Test("a statement file, then verify and trial-balance exit 0 on sound books and 1 after tampering")
    func endToEnd() async throws {
        try await AuditFixture.with(label: "cliok") { fixture in
            let history = try await KnownHistory.build(in: fixture)
            let directory = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let output = directory.appendingPathComponent("wallet.xml").path
            let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
            let statement = try Self.run(
                ["statement", "--account", KnownHistory.walletCode, "--from", "2000-01-01", "--to", today, "--format", "camt053", "--output", output],
                databaseURL: fixture.database.url
            )
            #expect(statement.status == 0, "\(statement.stderr)")
            #expect(try XMLTool.validate(String(contentsOfFile: output, encoding: .utf8)).status == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["wallet.xml"])

            let sound = try Self.run(["verify"], databaseURL: fixture.database.url)
            #expect(sound.status == 0 && sound.stdout.hasPrefix("books are sound"), "\(sound.stdout)\(sound.stderr)")
            #expect(try Self.run(["trial-balance"], databaseURL: fixture.database.url).status == 0)

            let entry = history.periodEntries[0]
            try await fixture.tamper("UPDATE entries SET amount = amount + 1 WHERE sequence = \(entry.sequence)")
            let broken = try Self.run(["verify"], databaseURL: fixture.database.url)
            #expect(broken.status == 1)
            #expect(broken.stdout.split(separator: "\n").contains { $0.hasPrefix("invariant 5 chain_link_broken") && $0.contains("entry=\(entry.sequence)") })
            let asOf = try Self.run(["trial-balance", "--as-of", today], databaseURL: fixture.database.url)
            #expect(asOf.status == 1 && asOf.stdout.contains("UNBALANCED"))
            let refused = try Self.run(
                ["statement", "--account", history.wallet.uuidString, "--from", "2000-01-01", "--to", today, "--format", "json", "--output", output + ".json"],
                databaseURL: fixture.database.url
            )
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("entry \(entry.sequence)"))
            #expect(!FileManager.default.fileExists(atPath: output + ".json"))
        }
    }
}
