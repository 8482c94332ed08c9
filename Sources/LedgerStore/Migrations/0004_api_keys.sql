-- API keys (PRODUCT.md §4): who may call /v1, with which scopes and at what rate.
-- The secret itself is never stored: only its SHA-256 digest, which is what a request's
-- bearer token is looked up by. Keys are revoked, never deleted, so the id named in logs and
-- in idempotency scopes always still means the same key.
CREATE TABLE api_keys (
    id              text PRIMARY KEY CHECK (id ~ '^key_[a-z0-9]{16,64}$'),
    name            text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
    digest          bytea NOT NULL UNIQUE CHECK (octet_length(digest) = 32),
    scopes          text[] NOT NULL CHECK (
                        cardinality(scopes) >= 1
                        AND scopes <@ ARRAY['accounts:write', 'transfers:write', 'read', 'audit']::text[]
                    ),
    -- Requests per second and burst; NULL means the service's configured default.
    rate_per_second integer CHECK (rate_per_second BETWEEN 1 AND 1000000),
    burst           integer CHECK (burst BETWEEN 1 AND 1000000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    CONSTRAINT api_keys_revoked_after_created CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);

-- `ledger keys list` shows keys oldest first.
CREATE INDEX api_keys_created ON api_keys (created_at, id);

-- The auditor role reads the books, not who may write them: it is granted nothing here, and
-- this makes sure no earlier default privilege gave it anything either.
REVOKE ALL ON api_keys FROM ledger_auditor;
