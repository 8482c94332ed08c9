// The LedgerStore module.
