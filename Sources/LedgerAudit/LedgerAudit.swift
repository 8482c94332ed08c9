// The LedgerAudit module.
