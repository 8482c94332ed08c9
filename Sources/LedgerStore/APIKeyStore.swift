public import Postgres

/// API keys in Postgres: made and revoked by `ledger keys`, looked up by `ledgerd` for every
/// request (through a short-lived cache in the HTTP layer).
///
/// Keys are not ledger writes, so they do not go through the committer: each call is one
/// autocommitted statement.
public struct APIKeyStore: Sendable {
    /// The most keys `list` returns; an installation with more has a different problem.
    public static let keysListedMax = 10_000

    static let columns = "id, name, array_to_string(scopes, ','), rate_per_second, burst, created_at, revoked_at"

    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Makes a key and returns it with its secret, which is never stored and cannot be shown again.
    public func create(
        name: String, scopes: Set<APIKeyScope>, ratePerSecond: Int? = nil, burst: Int? = nil
    ) async throws -> (key: APIKey, secret: APIKeySecret) {
        try APIKey.validate(name: name, ratePerSecond: ratePerSecond, burst: burst)
        guard !scopes.isEmpty else {
            throw APIKeyError(.noScopes, "a key needs at least one scope")
        }
        let id = APIKey.makeID()
        let secret = APIKeySecret.generate()
        let parameters: [PostgresParameter] = [
            .init(id), .init(name), .init(bytes: secret.digest),
            .array(scopes.sorted().map { Optional($0.rawValue) }),
            ratePerSecond.map { .init($0) } ?? .null, burst.map { .init($0) } ?? .null,
        ]
        let key = try await pool.withConnection { connection in
            let rows = try connection.query(
                "INSERT INTO api_keys (id, name, digest, scopes, rate_per_second, burst)"
                    + " VALUES ($1, $2, $3, $4::text[], $5, $6) RETURNING \(Self.columns)",
                parameters, step: "create api key"
            )
            guard let row = rows.first else {
                throw StoreError(.internalFault, "INSERT … RETURNING gave no row")
            }
            return try APIKey(row: row)
        }
        return (key, secret)
    }

    /// Every key, revoked ones too, oldest first.
    public func list() async throws -> [APIKey] {
        try await pool.withConnection { connection in
            try connection.query(
                "SELECT \(Self.columns) FROM api_keys ORDER BY created_at, id LIMIT $1",
                [.init(Self.keysListedMax)], step: "list api keys"
            ).map { try APIKey(row: $0) }
        }
    }

    public func key(id: String) async throws -> APIKey? {
        try await pool.withConnection { connection in
            try connection.query("SELECT \(Self.columns) FROM api_keys WHERE id = $1", [.init(id)], step: "read api key")
                .first.map { try APIKey(row: $0) }
        }
    }

    /// The key whose secret has this SHA-256 digest, revoked or not (the caller refuses revoked
    /// keys, and may cache that answer). The index finds the row; the digests are then compared
    /// again in constant time, so the answer never rests on a comparison that stops early.
    public func key(digest: [UInt8]) async throws -> APIKey? {
        guard digest.count == SHA256.digestBytesCount else { return nil }
        return try await pool.withConnection { connection in
            guard
                let row = try connection.query(
                    "SELECT \(Self.columns), digest FROM api_keys WHERE digest = $1",
                    [.init(bytes: digest)], step: "find api key"
                ).first
            else { return nil }
            guard APIKeySecret.constantTimeEqual(try row.bytes(7), digest) else { return nil }
            return try APIKey(row: row)
        }
    }

    /// Revokes a key from now on and returns it. Revoking a revoked key changes nothing and
    /// returns it with its first revocation time; an unknown id is `APIKeyError.notFound`.
    @discardableResult
    public func revoke(id: String) async throws -> APIKey {
        try await pool.withConnection { connection in
            let revoked = try connection.query(
                "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING \(Self.columns)",
                [.init(id)], step: "revoke api key"
            )
            if let row = revoked.first {
                return try APIKey(row: row)
            }
            let existing = try connection.query("SELECT \(Self.columns) FROM api_keys WHERE id = $1", [.init(id)], step: "read api key")
            guard let row = existing.first else {
                throw APIKeyError(.notFound, "no API key has the id \(id)")
            }
            return try APIKey(row: row)
        }
    }
}

extension APIKey {
    /// Decodes the first seven columns of `APIKeyStore.columns`.
    init(row: PostgresRow) throws {
        let id = try row.string(0)
        var scopes: Set<APIKeyScope> = []
        for name in try row.string(2).split(separator: ",") {
            guard let scope = APIKeyScope(rawValue: String(name)) else {
                throw StoreError(.corruptData, "API key \(id) has an unknown scope")
            }
            scopes.insert(scope)
        }
        self.init(
            id: id,
            name: try row.string(1),
            scopes: scopes,
            ratePerSecond: row.isNull(3) ? nil : try row.int(3),
            burst: row.isNull(4) ? nil : try row.int(4),
            createdAt: try row.date(5),
            revokedAt: row.isNull(6) ? nil : try row.date(6)
        )
    }
}
