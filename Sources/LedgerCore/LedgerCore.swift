// The LedgerCore module.
