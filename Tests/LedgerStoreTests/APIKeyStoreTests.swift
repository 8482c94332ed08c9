import Foundation
import LedgerStore
import LedgerTestSupport
import Postgres
import Testing

@Suite("API keys in Postgres")
struct APIKeyStoreTests {
    /// Runs `body` with a fresh database and drops it on every path.
    func withDatabase(_ body: (TestDatabase) async throws -> Void) async throws {
        let database = try await TestDatabase.create(label: "apikeys")
        do {
            try await body(database)
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }

    @Test("create, find by digest, list and revoke a key")
    func lifecycle() async throws {
        try await withDatabase { database async throws in
            let store = APIKeyStore(pool: database.pool)
            let (key, secret) = try await store.create(name: "payments", scopes: [.transfersWrite, .read], ratePerSecond: 5, burst: 7)
            #expect(key.id.hasPrefix("key_"))
            #expect(key.scopes == [.transfersWrite, .read])
            #expect(key.ratePerSecond == 5 && key.burst == 7)
            #expect(key.revokedAt == nil)
            #expect(secret.text.hasPrefix("ldg_"))

            let found = try #require(try await store.key(digest: secret.digest))
            #expect(found == key)
            #expect(try await store.key(id: key.id) == key)

            let (defaults, _) = try await store.create(name: "reader", scopes: [.read])
            #expect(defaults.ratePerSecond == nil && defaults.burst == nil)
            let listed = try await store.list()
            #expect(listed.map(\.id) == [key.id, defaults.id])

            let revoked = try await store.revoke(id: key.id)
            let revokedAt = try #require(revoked.revokedAt)
            #expect(revokedAt >= key.createdAt)
            #expect(try await store.key(digest: secret.digest)?.isRevoked == true)
            // Revoking again keeps the first revocation time.
            #expect(try await store.revoke(id: key.id).revokedAt == revokedAt)
            #expect(try await store.key(id: defaults.id)?.isRevoked == false)
        }
    }

    @Test("only the SHA-256 digest of the secret is stored")
    func storesDigestOnly() async throws {
        try await withDatabase { database async throws in
            let store = APIKeyStore(pool: database.pool)
            let (key, secret) = try await store.create(name: "digest", scopes: [.read])
            let row = try await database.pool.withConnection { connection in
                try connection.query("SELECT digest, row_to_json(api_keys)::text FROM api_keys WHERE id = $1", [.init(key.id)]).first
            }
            let stored = try #require(row)
            #expect(try stored.bytes(0) == SHA256.hash(Array(secret.text.utf8)))
            let wholeRow = try stored.string(1)
            #expect(!wholeRow.contains(secret.text))
            #expect(!wholeRow.contains(String(secret.text.dropFirst(4))))
        }
    }

    @Test("unknown digests, unknown ids and bad input")
    func refusals() async throws {
        try await withDatabase { database async throws in
            let store = APIKeyStore(pool: database.pool)
            #expect((try await store.key(digest: APIKeySecret.generate().digest)) == nil)
            #expect((try await store.key(digest: [1, 2, 3])) == nil)
            #expect((try await store.key(id: "key_000000000000000000000000")) == nil)
            await #expect(throws: APIKeyError(.notFound, "no API key has the id key_nope0000000000000000")) {
                try await store.revoke(id: "key_nope0000000000000000")
            }
            await #expect(throws: APIKeyError.self) { try await store.create(name: "", scopes: [.read]) }
            await #expect(throws: APIKeyError.self) { try await store.create(name: "bell\u{7}", scopes: [.read]) }
            await #expect(throws: APIKeyError.self) { try await store.create(name: "x", scopes: []) }
            await #expect(throws: APIKeyError.self) { try await store.create(name: "x", scopes: [.read], ratePerSecond: 0) }
            await #expect(throws: APIKeyError.self) { try await store.create(name: "x", scopes: [.read], burst: 1_000_001) }
            #expect(try await store.list().isEmpty)
        }
    }

    @Test("the database refuses scopes and limits the code would not write")
    func databaseChecks() async throws {
        try await withDatabase { database async throws in
            for (scopes, rate) in [("{read,admin}", "1"), ("{}", "1"), ("{read}", "0")] {
                await #expect(throws: PostgresError.self) {
                    try await database.pool.withConnection { connection in
                        try connection.query(
                            "INSERT INTO api_keys (id, name, digest, scopes, rate_per_second) VALUES ('key_0123456789abcdef', 'x', $1, $2::text[], $3::integer)",
                            [.init(bytes: [UInt8](repeating: 7, count: 32)), .init(scopes), .init(rate)]
                        )
                    }
                }
            }
        }
    }

    @Test("the auditor role is granted nothing on api_keys")
    func auditorHasNoAccess() async throws {
        try await withDatabase { database async throws in
            let row = try await database.pool.withConnection { connection in
                try connection.query(
                    "SELECT has_table_privilege('ledger_auditor', 'api_keys', 'SELECT'), has_table_privilege('ledger_auditor', 'api_keys', 'INSERT'),"
                        + " has_table_privilege('ledger_auditor', 'api_keys', 'UPDATE'), has_table_privilege('ledger_auditor', 'accounts', 'SELECT')"
                ).first
            }
            let privileges = try #require(row)
            #expect(try privileges.bool(0) == false)
            #expect(try privileges.bool(1) == false)
            #expect(try privileges.bool(2) == false)
            #expect(try privileges.bool(3) == true)
        }
    }

    @Test("scopes parse from their names and unknown names are errors")
    func scopeParsing() throws {
        #expect(try APIKeyScope.parseList("accounts:write, transfers:write,read,audit") == Set(APIKeyScope.allCases))
        #expect(try APIKeyScope.parseList("read,read") == [.read])
        #expect(throws: APIKeyError.self) { try APIKeyScope.parseList("read,admin") }
        #expect(throws: APIKeyError.self) { try APIKeyScope.parseList("Read") }
        #expect(throws: APIKeyError.self) { try APIKeyScope.parseList("") }
        #expect(throws: APIKeyError.self) { try APIKeyScope.parseList(" , ") }
        #expect(APIKeyScope.list([.read, .accountsWrite]) == "accounts:write,read")
    }

    @Test("secrets are ldg_ and base64url of 32 random bytes, and never print")
    func secretShape() throws {
        let secrets = (0..<64).map { _ in APIKeySecret.generate() }
        #expect(Set(secrets.map(\.text)).count == secrets.count)
        for secret in secrets {
            #expect(secret.text.hasPrefix("ldg_"))
            #expect(secret.text.utf8.count == 4 + 43)
            #expect(APIKeySecret(presented: secret.text)?.text == secret.text)
            #expect(!"\(secret)".contains(secret.text.dropFirst(4)))
            #expect(secret.digest.count == 32)
        }
        for bad in ["", "ldg_", "ldg_short", "abc_" + String(repeating: "a", count: 43), "ldg_" + String(repeating: "a", count: 42) + "=",
            "ldg_" + String(repeating: "a", count: 129), "ldg_" + String(repeating: "a", count: 40) + " ab"]
        {
            #expect(APIKeySecret(presented: bad) == nil, "\(bad) should not parse")
        }
    }

    @Test("digests compare equal exactly when every byte matches")
    func constantTimeEquality() {
        let digest = SHA256.hash(Array("ldg_x".utf8))
        #expect(APIKeySecret.constantTimeEqual(digest, digest))
        #expect(APIKeySecret.constantTimeEqual([], []))
        #expect(!APIKeySecret.constantTimeEqual(digest, Array(digest.dropLast())))
        for index in [0, 15, 31] {
            var other = digest
            other[index] ^= 0x01
            #expect(!APIKeySecret.constantTimeEqual(digest, other))
        }
    }

    @Test("ledger keys create prints the secret alone on line 1; list never shows it; revoke works")
    func command() async throws {
        let ledger = try Self.ledgerExecutable()
        try await withDatabase { database async throws in
            let store = APIKeyStore(pool: database.pool)
            let created = try Self.run(ledger, ["keys", "create", "--database-url", database.url, "--name", "cli test", "--scopes", "read,transfers:write", "--rate", "5", "--burst", "7"])
            #expect(created.status == 0, "stderr: \(created.stderr)")
            let lines = created.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let secret = try #require(APIKeySecret(presented: lines[0]), "line 1 must be the secret alone: \(lines[0])")
            #expect(lines[0] == secret.text)
            let key = try #require(try await store.key(digest: secret.digest))
            #expect(lines[1] == "id: \(key.id)")
            #expect(key.name == "cli test" && key.scopes == [.read, .transfersWrite] && key.ratePerSecond == 5 && key.burst == 7)

            let listed = try Self.run(ledger, ["keys", "list", "--database-url", database.url])
            #expect(listed.status == 0)
            #expect(listed.stdout.contains(key.id) && listed.stdout.contains("transfers:write,read"))
            #expect(!listed.stdout.contains(secret.text.dropFirst(4)))

            let revoked = try Self.run(ledger, ["keys", "revoke", key.id, "--database-url", database.url])
            #expect(revoked.status == 0, "stderr: \(revoked.stderr)")
            #expect(try await store.key(id: key.id)?.isRevoked == true)

            let unknownScope = try Self.run(ledger, ["keys", "create", "--database-url", database.url, "--name", "x", "--scopes", "read,root"])
            #expect(unknownScope.status != 0)
            #expect(unknownScope.stdout.isEmpty)
            #expect(unknownScope.stderr.contains("unknown scope"))
            let unknownID = try Self.run(ledger, ["keys", "revoke", "key_nope0000000000000000", "--database-url", database.url])
            #expect(unknownID.status != 0)
            #expect(try await store.list().count == 1)
        }
    }

    /// The built `ledger` binary: in LEDGER_BIN_DIR when set, else beside this test bundle,
    /// where `swift build --build-tests` and `swift test` put every product.
    static func ledgerExecutable() throws -> URL {
        let directory: URL
        if let binDir = ProcessInfo.processInfo.environment["LEDGER_BIN_DIR"], !binDir.isEmpty {
            directory = URL(fileURLWithPath: binDir)
        } else {
            directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        }
        let executable = directory.appendingPathComponent("ledger")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw TestEnvironmentError(message: "no ledger binary at \(executable.path): build it (swift build --build-tests) or set LEDGER_BIN_DIR")
        }
        return executable
    }

    /// Runs a binary to completion (bounded by its own statement timeouts) and returns its output.
    static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
