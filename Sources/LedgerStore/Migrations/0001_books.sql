-- The books: accounts, transfers and their entries (PRODUCT.md §1, Specs/INVARIANTS.md).
-- The database enforces what it can on its own: formats, positive amounts, distinct accounts,
-- account limits, the shape of each transfer status, and append-only history (invariant 4).

CREATE SEQUENCE ledger_sequence AS bigint;

CREATE TABLE accounts (
    id              uuid PRIMARY KEY,
    code            text UNIQUE CHECK (code ~ '^[A-Za-z0-9:_.-]{1,128}$'),
    currency        text NOT NULL CHECK (currency ~ '^[A-Z][A-Z0-9]{2,11}$'),
    flags           integer NOT NULL DEFAULT 0 CHECK (flags IN (0, 1, 2)),
    metadata        text CHECK (octet_length(metadata) <= 4096),
    debits_pending  numeric(39, 0) NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    debits_posted   numeric(39, 0) NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_pending numeric(39, 0) NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    credits_posted  numeric(39, 0) NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    -- The hash of the account's last entry: where its chain continues (invariant 5).
    chain_head      bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'
                    CHECK (octet_length(chain_head) = 32),
    created_at      timestamptz NOT NULL,
    -- Invariant 3, counting pending amounts.
    CONSTRAINT accounts_debits_within_credits
        CHECK (flags & 1 = 0 OR debits_pending + debits_posted <= credits_posted),
    CONSTRAINT accounts_credits_within_debits
        CHECK (flags & 2 = 0 OR credits_pending + credits_posted <= debits_posted)
);

CREATE TABLE transfers (
    id                uuid PRIMARY KEY,
    sequence          bigint NOT NULL,
    debit_account_id  uuid NOT NULL REFERENCES accounts (id),
    credit_account_id uuid NOT NULL REFERENCES accounts (id),
    amount            bigint NOT NULL CHECK (amount > 0),
    currency          text NOT NULL,
    is_pending        boolean NOT NULL,
    timeout_seconds   integer CHECK (timeout_seconds BETWEEN 1 AND 31536000),
    expires_at        timestamptz,
    description       text CHECK (char_length(description) <= 512),
    metadata          text CHECK (octet_length(metadata) <= 4096),
    status            text NOT NULL CHECK (status IN ('posted', 'pending', 'voided', 'expired')),
    posted_amount     bigint NOT NULL CHECK (posted_amount >= 0 AND posted_amount <= amount),
    created_at        timestamptz NOT NULL,
    resolved_at       timestamptz,
    CONSTRAINT transfers_distinct_accounts CHECK (debit_account_id <> credit_account_id),
    CONSTRAINT transfers_timeout_only_pending CHECK (is_pending OR (timeout_seconds IS NULL AND expires_at IS NULL)),
    CONSTRAINT transfers_status_shape CHECK (
           (status = 'posted'  AND NOT is_pending AND posted_amount = amount AND resolved_at IS NULL)
        OR (status = 'pending' AND is_pending AND posted_amount = 0 AND resolved_at IS NULL)
        OR (status = 'posted'  AND is_pending AND posted_amount > 0 AND resolved_at IS NOT NULL)
        OR (status IN ('voided', 'expired') AND is_pending AND posted_amount = 0 AND resolved_at IS NOT NULL)
    )
);

-- The expiry sweeper's work list.
CREATE INDEX transfers_pending_expiry ON transfers (expires_at) WHERE status = 'pending';
-- Pending holds by account, for balances at a past instant and for verification.
CREATE INDEX transfers_pending_debits ON transfers (debit_account_id) WHERE is_pending;
CREATE INDEX transfers_pending_credits ON transfers (credit_account_id) WHERE is_pending;

CREATE TABLE entries (
    sequence      bigint PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts (id),
    transfer_id   uuid NOT NULL REFERENCES transfers (id),
    direction     text NOT NULL CHECK (direction IN ('debit', 'credit')),
    amount        bigint NOT NULL CHECK (amount > 0),
    balance_after numeric(39, 0) NOT NULL,
    created_at    timestamptz NOT NULL,
    hash          bytea NOT NULL CHECK (octet_length(hash) = 32),
    -- A posted movement writes exactly one entry per side.
    CONSTRAINT entries_one_per_side UNIQUE (transfer_id, direction)
);

-- An account's history in order. created_at is taken after the account rows are locked, so
-- per account it never decreases as sequence grows: one index serves time ranges and pages.
CREATE INDEX entries_account_history ON entries (account_id, created_at, sequence);

-- Invariant 4: history is append-only.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger history is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- A pending transfer may leave pending once; nothing else about a transfer ever changes.
CREATE FUNCTION transfers_guard_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'pending' OR NEW.status = 'pending'
       OR NEW.id IS DISTINCT FROM OLD.id
       OR NEW.sequence IS DISTINCT FROM OLD.sequence
       OR NEW.debit_account_id IS DISTINCT FROM OLD.debit_account_id
       OR NEW.credit_account_id IS DISTINCT FROM OLD.credit_account_id
       OR NEW.amount IS DISTINCT FROM OLD.amount
       OR NEW.currency IS DISTINCT FROM OLD.currency
       OR NEW.is_pending IS DISTINCT FROM OLD.is_pending
       OR NEW.timeout_seconds IS DISTINCT FROM OLD.timeout_seconds
       OR NEW.expires_at IS DISTINCT FROM OLD.expires_at
       OR NEW.description IS DISTINCT FROM OLD.description
       OR NEW.metadata IS DISTINCT FROM OLD.metadata
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'transfer % may only leave pending once; this update is refused', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER transfers_append_only BEFORE UPDATE ON transfers
    FOR EACH ROW EXECUTE FUNCTION transfers_guard_update();

-- Balances and the chain head change; what an account is never does.
CREATE FUNCTION accounts_guard_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id
       OR NEW.code IS DISTINCT FROM OLD.code
       OR NEW.currency IS DISTINCT FROM OLD.currency
       OR NEW.flags IS DISTINCT FROM OLD.flags
       OR NEW.metadata IS DISTINCT FROM OLD.metadata
       OR NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        RAISE EXCEPTION 'account % may change only its balances', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER accounts_immutable_identity BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_guard_update();
