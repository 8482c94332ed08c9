/// A Lua script run with `EVALSHA`. Its SHA1 is learned from `SCRIPT LOAD` the first time a
/// client runs it and is cached by that client.
public struct RedisScript: Sendable, Hashable {
    public let source: String

    public init(_ source: String) {
        self.source = source
    }
}
