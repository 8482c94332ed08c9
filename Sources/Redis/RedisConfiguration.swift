/// Where the server is and the limits every call obeys.
public struct RedisConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var database: Int

    /// The most connections open at once (idle, leased and being opened); also the number of
    /// threads the client's own thread pool runs, so no call ever waits for a thread.
    public var connectionsMax: Int = 16
    /// How long opening one TCP connection may take.
    public var connectTimeout: Duration = .milliseconds(50)
    /// The socket read and write timeout of every connection (`redisSetTimeout`), and the longest
    /// a call waits for a free connection when all `connectionsMax` are leased.
    public var commandTimeout: Duration = .milliseconds(50)
    /// After a failed connect, calls fail at once with `.unavailable` until this has passed;
    /// then one call at a time probes with a new connect.
    public var reconnectBackoff: Duration = .milliseconds(500)
    /// The most callers that may wait for a free connection; more fail at once with `.poolExhausted`.
    /// It also bounds the callers queued for a shared pipeline (plus `batchFlushersMax`).
    public var waitersMax: Int = 1_024
    /// The most commands one `pipeline` call may send.
    public var pipelineCommandsMax: Int = 10_000
    /// Shared pipelines in flight at once (`RedisCommandBatcher`); callers beyond wait for the
    /// next one. Fewer means larger pipelines under load; at least two, so that one slow reply
    /// cannot hold every caller back. A flush waits for a connection like any caller (at most
    /// `commandTimeout`), so `connectionsMax` should not be below this.
    public var batchFlushersMax: Int = 2
    /// When set, every connection names itself with `CLIENT SETNAME` so operators can tell
    /// this client's connections apart in `CLIENT LIST`. It must not contain spaces.
    public var clientName: String? = nil

    public init(host: String = "127.0.0.1", port: Int = 6379, database: Int = 0) {
        self.host = host
        self.port = port
        self.database = database
    }
}
