-- Idempotency keys (PRODUCT.md §3): the stored outcome of every completed POST, written in the
-- same transaction as the ledger writes it caused. Postgres is the truth; Redis only caches.
CREATE TABLE idempotency_keys (
    -- Keys are scoped to the API key that sent them.
    scope         text NOT NULL,
    key           text NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 255),
    -- SHA-256 of method, path and canonical body.
    fingerprint   bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
    status_code   smallint NOT NULL CHECK (status_code BETWEEN 200 AND 499),
    response_body bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

-- The purge job walks keys oldest first.
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);
