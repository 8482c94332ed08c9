/// Every bound of the ledger's domain in one place, named with the unit last.
public enum Limits {
    /// Transfers accepted by one batch request (PRODUCT.md §2).
    public static let transfersPerBatchMax = 8_190
    /// Bytes of an account's or transfer's metadata, as canonical JSON text.
    public static let metadataBytesMax = 4_096
    /// Characters of a transfer's description.
    public static let descriptionCharactersMax = 512
    /// Characters of an account code.
    public static let accountCodeCharactersMax = 128
    /// A pending transfer may be held at most a year; longer holds are a modelling mistake.
    public static let pendingTimeoutSecondsMax = 31_536_000
    /// Items a list or history page returns at most.
    public static let pageItemsMax = 1_000
}
