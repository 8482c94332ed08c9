import ArgumentParser
import Foundation
import LedgerStore
import Postgres

/// `ledger keys create|list|revoke`: the only way API keys are made and revoked (PRODUCT.md §4).
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke the API keys that may call the HTTP API.",
        discussion: "Scopes: \(APIKeyScope.allCases.map(\.rawValue).joined(separator: ", ")).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a key and print its secret, alone on the first line of stdout.",
            discussion: """
                The secret is shown this once and stored only as its SHA-256 digest: capture it,
                for example with `ledger keys create --name ci --scopes read | head -n 1`.
                The following lines give the key's id and settings.
                """
        )

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "A name for people: what or who uses the key.")
        var name: String

        @Option(help: "Comma-separated scopes, e.g. accounts:write,transfers:write,read.")
        var scopes: String

        @Option(help: "Requests per second; the server's default when omitted.")
        var rate: Int?

        @Option(help: "Requests allowed at once after idling; the server's default when omitted.")
        var burst: Int?

        func validate() throws {
            do throws(APIKeyError) {
                _ = try APIKeyScope.parseList(scopes)
            } catch {
                throw ValidationError(error.message)
            }
        }

        func run() async throws {
            let scopes = try APIKeyScope.parseList(scopes)
            let logger = connection.makeLogger(label: "ledger.keys")
            let pool = try connection.makePool(logger: logger)
            let (key, secret) = try await closing(pool) {
                try await APIKeyStore(pool: pool).create(name: name, scopes: scopes, ratePerSecond: rate, burst: burst)
            }
            print(KeysCommand.creationReport(key: key, secret: secret), terminator: "")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every key with its scopes, limits and dates; never secrets."
        )

        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let logger = connection.makeLogger(label: "ledger.keys")
            let pool = try connection.makePool(logger: logger)
            let keys = try await closing(pool) { try await APIKeyStore(pool: pool).list() }
            print(KeysCommand.table(keys), terminator: "")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key: every ledgerd refuses it within a second."
        )

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The key's id (key_…), as `ledger keys list` shows it.")
        var id: String

        func run() async throws {
            let logger = connection.makeLogger(label: "ledger.keys")
            let pool = try connection.makePool(logger: logger)
            let key = try await closing(pool) { try await APIKeyStore(pool: pool).revoke(id: id) }
            print("revoked \(key.id) (\(key.name)) at \(KeysCommand.timestamp(key.revokedAt))")
        }
    }

    /// What `create` prints: the secret alone on line 1, so scripts can take it with `head -n 1`.
    static func creationReport(key: APIKey, secret: APIKeySecret) -> String {
        """
        \(secret.text)
        id: \(key.id)
        name: \(key.name)
        scopes: \(APIKeyScope.list(key.scopes))
        rate: \(key.ratePerSecond.map { "\($0)/s" } ?? "default")
        burst: \(key.burst.map(String.init) ?? "default")
        created: \(timestamp(key.createdAt))

        """
    }

    /// Tab-separated columns with a header line: readable, and easy for `cut` and `awk`.
    static func table(_ keys: [APIKey]) -> String {
        var lines = ["id\tname\tscopes\trate\tburst\tcreated\trevoked"]
        for key in keys {
            lines.append(
                [
                    key.id, key.name.replacingOccurrences(of: "\t", with: " "), APIKeyScope.list(key.scopes),
                    key.ratePerSecond.map(String.init) ?? "default", key.burst.map(String.init) ?? "default",
                    timestamp(key.createdAt), key.revokedAt.map { timestamp($0) } ?? "-",
                ].joined(separator: "\t")
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func timestamp(_ date: Date?) -> String {
        guard let date else { return "-" }
        return date.formatted(.iso8601)
    }
}

/// Runs `body` and closes the pool on every path, so the CLI exits without leaking connections
/// whether the call worked or not.
private func closing<Value: Sendable>(_ pool: PostgresPool, _ body: () async throws -> Value) async throws -> Value {
    do {
        let value = try await body()
        await pool.close()
        return value
    } catch {
        await pool.close()
        throw error
    }
}
