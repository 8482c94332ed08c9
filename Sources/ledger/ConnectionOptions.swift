public import ArgumentParser
import Foundation
import Logging
import Postgres

/// How every subcommand finds the database.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "libpq connection URI; defaults to $DATABASE_URL.")
    var databaseURL: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .warning

    func resolvedURL() throws -> String {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty { return url }
        throw ValidationError("no database: set DATABASE_URL or pass --database-url")
    }

    func makeLogger(label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = logLevel
        return logger
    }

    /// A small pool: the CLI runs one thing at a time.
    func makePool(logger: Logger) throws -> PostgresPool {
        var configuration = PostgresConfiguration(url: try resolvedURL())
        configuration.connectionsMax = 2
        configuration.applicationName = "ledger-cli"
        // Statements and verification of large books legitimately run long.
        configuration.statementTimeout = nil
        return PostgresPool(configuration: configuration, logger: logger)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
