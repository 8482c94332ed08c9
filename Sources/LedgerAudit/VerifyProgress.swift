/// How far a verification has come, for a progress line.
public struct VerifyProgress: Sendable, Hashable {
    /// The check running now, in words.
    public var step: String
    /// Entries whose chain link has been checked so far.
    public var entriesChecked: Int

    public init(step: String, entriesChecked: Int) {
        self.step = step
        self.entriesChecked = entriesChecked
    }
}
