import Logging
import Redis

/// Runs `body` with a client of the test server (or of `configuration`'s), closed afterwards
/// also when `body` throws.
func withClient<Value>(
    server configuration: RedisConfiguration? = nil,
    _ adjust: (inout RedisConfiguration) -> Void = { _ in },
    _ body: (RedisClient) async throws -> Value
) async throws -> Value {
    var configuration = try configuration ?? testConfiguration()
    // A shared build machine can stall a thread for a while; the suites that use this check
    // results, and the resilience suite checks timing.
    configuration.commandTimeout = .seconds(2)
    configuration.connectTimeout = .seconds(2)
    adjust(&configuration)
    let client = RedisClient(configuration: configuration, logger: LogRecorder().logger)
    do {
        let value = try await body(client)
        await client.close()
        return value
    } catch {
        await client.close()
        throw error
    }
}
