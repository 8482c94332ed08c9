// The LedgerHTTP module.
