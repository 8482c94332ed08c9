import ArgumentParser
import Postgres
import LedgerStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the schema migrations this build ships that the database lacks."
    )

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let logger = connection.makeLogger(label: "ledger.migrate")
        let pool = try connection.makePool(logger: logger)
        do {
            let applied = try await Migrator.bundled().migrate(pool: pool, logger: logger)
            await pool.close()
            print(applied.isEmpty ? "schema is up to date" : "applied: " + applied.joined(separator: ", "))
        } catch {
            await pool.close()
            throw error
        }
    }
}
