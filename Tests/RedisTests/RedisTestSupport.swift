import Foundation
import Logging
import Redis
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The configuration of the Redis server the tests talk to, read from `REDIS_URL`.
/// An unset variable fails the test: these tests need a real server and must not pass without one.
func testConfiguration() throws -> RedisConfiguration {
    let url = try #require(
        ProcessInfo.processInfo.environment["REDIS_URL"],
        "REDIS_URL is not set: the Redis tests need a real server, e.g. REDIS_URL=redis://127.0.0.1:6379/0"
    )
    return try RedisConfiguration(url: url)
}

/// A key no other test run uses, so runs against a shared server do not see each other.
func uniqueKey(_ name: String) -> String {
    "redis-tests:\(name):\(UInt64.random(in: 0...UInt64.max))"
}

/// A client name no other test uses, for `RedisConfiguration.clientName`.
func uniqueClientName(_ name: String) -> String {
    "\(name)-\(UInt32.random(in: 0...UInt32.max))"
}

/// Returns once the server reports the client named `name` blocked (flag `b` in CLIENT LIST),
/// or records an issue after about ten seconds. Concurrent calls on one `RedisClient` share
/// pipelines, so a test that needs a later call to find the connection busy waits for this
/// rather than for a fixed time, which a loaded machine can outlast.
func waitUntilBlocked(clientNamed name: String) async throws {
    try await withClient { observer in
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let list = try await observer.command(["CLIENT", "LIST"]).string ?? ""
            let blocked = list.split(separator: "\n").contains { line in
                let fields = line.split(separator: " ")
                return fields.contains("name=\(name)") && fields.contains { $0.hasPrefix("flags=") && $0.contains("b") }
            }
            if blocked { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("client \(name) never blocked")
    }
}

/// Runs `body` and returns the error it threw, or nil when it succeeded.
func failure<Value>(_ body: () async throws(RedisError) -> Value) async -> RedisError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

/// Time `body` takes, with its outcome.
func timed<Value>(_ body: () async throws(RedisError) -> Value) async -> (Duration, Result<Value, RedisError>) {
    let start = ContinuousClock.now
    do {
        let value = try await body()
        return (ContinuousClock.now - start, .success(value))
    } catch {
        return (ContinuousClock.now - start, .failure(error))
    }
}

/// Keeps every log event a client emits, so tests can check what it logs and how often.
final class LogRecorder: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let entries = Mutex<[Entry]>([])

    var logger: Logger {
        Logger(label: "redis-tests") { _ in RecordingLogHandler(recorder: self) }
    }

    func append(_ entry: Entry) {
        entries.withLock { $0.append(entry) }
    }

    func entries(withMessage message: String) -> [Entry] {
        entries.withLock { $0.filter { $0.message == message } }
    }
}

struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        recorder.append(.init(level: event.level, message: event.message.description, metadata: merged))
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on: the kernel picks a free one, and the socket
/// is closed again without listening.
func unusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0, "socket() failed")
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
        }
    }
    try #require(bound, "bind() to 127.0.0.1:0 failed")
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func isListening(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            connect(fd, socketAddress, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
