-- Referential integrity of transfers and entries, checked once per statement rather than once
-- per row.
--
-- A foreign key checks every inserted row with its own query and row lock on the referenced
-- account or transfer. The committer inserts a group's transfers and entries with one
-- statement each, so those per-row checks were a third of the database's work per transfer.
-- The checks below look at all of a statement's new rows in one anti-join.
--
-- They guard exactly what the foreign keys guarded, because the referenced rows can never go
-- away or change identity: accounts and transfers refuse DELETE and TRUNCATE, an account's id
-- never changes (accounts_guard_update), and neither do a transfer's id or accounts
-- (transfers_guard_update); entries are append-only. So a reference that held when its row
-- was inserted holds forever, and checking on INSERT is enough. `ledger verify` looks for
-- dangling references as well.
ALTER TABLE entries
    DROP CONSTRAINT entries_account_id_fkey,
    DROP CONSTRAINT entries_transfer_id_fkey;
ALTER TABLE transfers
    DROP CONSTRAINT transfers_debit_account_id_fkey,
    DROP CONSTRAINT transfers_credit_account_id_fkey;

-- Each check gathers the statement's distinct references into an array and counts the rows
-- that exist through the primary key: the ids go through an index, where a join with the
-- transition table would let the planner scan the whole referenced table.
CREATE FUNCTION transfers_check_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named uuid[];
BEGIN
    SELECT array_agg(DISTINCT id) INTO named FROM (
        SELECT debit_account_id AS id FROM new_transfers
        UNION ALL SELECT credit_account_id FROM new_transfers
    ) ids;
    IF (SELECT count(*) FROM accounts WHERE id = ANY(named)) <> coalesce(cardinality(named), 0) THEN
        RAISE EXCEPTION 'a new transfer names an account that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER transfers_reference_accounts AFTER INSERT ON transfers
    REFERENCING NEW TABLE AS new_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION transfers_check_accounts();

CREATE FUNCTION entries_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    accounts_named uuid[];
    transfers_named uuid[];
BEGIN
    SELECT array_agg(DISTINCT account_id) INTO accounts_named FROM new_entries;
    SELECT array_agg(DISTINCT transfer_id) INTO transfers_named FROM new_entries;
    IF (SELECT count(*) FROM accounts WHERE id = ANY(accounts_named)) <> coalesce(cardinality(accounts_named), 0) THEN
        RAISE EXCEPTION 'a new entry names an account that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF (SELECT count(*) FROM transfers WHERE id = ANY(transfers_named)) <> coalesce(cardinality(transfers_named), 0) THEN
        RAISE EXCEPTION 'a new entry names a transfer that does not exist'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER entries_reference_rows AFTER INSERT ON entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION entries_check_references();

-- Stored responses are written once and read rarely (a retry); compressing the large ones
-- (a batch's answer) cost more than the space it saved.
ALTER TABLE idempotency_keys ALTER COLUMN response_body SET STORAGE EXTERNAL;
