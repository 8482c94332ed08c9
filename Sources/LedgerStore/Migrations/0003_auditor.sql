-- A read-only role for auditors (PRODUCT.md §6): it can read the books and nothing else.
-- Roles belong to the whole cluster, so another database's migration may have made it already,
-- possibly at this very moment; the exception handler makes the creation race-free.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ledger_auditor') THEN
        CREATE ROLE ledger_auditor LOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO ledger_auditor;
GRANT SELECT ON accounts, transfers, entries TO ledger_auditor;
