import ArgumentParser

@main
struct LedgerCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Operate and audit the ledger: migrations, API keys, statements, trial balance, verification.",
        discussion: """
            Every subcommand connects with DATABASE_URL (a libpq connection URI) or --database-url.
            Auditors use the read-only role `ledger_auditor` that the migrations create.
            """,
        subcommands: [MigrateCommand.self, KeysCommand.self, StatementCommand.self, TrialBalanceCommand.self, VerifyCommand.self]
    )
}
