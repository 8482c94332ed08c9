import Redis
import Testing

@Suite("RedisConfiguration(url:)")
struct RedisConfigurationTests {
    @Test("host, port and database are read; port and database have defaults")
    func parsesURLs() throws {
        let full = try RedisConfiguration(url: "redis://10.1.2.3:6380/4")
        #expect(full.host == "10.1.2.3")
        #expect(full.port == 6380)
        #expect(full.database == 4)

        let bare = try RedisConfiguration(url: "redis://cache.internal")
        #expect(bare.host == "cache.internal")
        #expect(bare.port == 6379)
        #expect(bare.database == 0)

        let slash = try RedisConfiguration(url: "REDIS://localhost:7000/")
        #expect(slash.port == 7000)
        #expect(slash.database == 0)

        let ipv6 = try RedisConfiguration(url: "redis://[::1]:6390/2")
        #expect(ipv6.host == "::1")
        #expect(ipv6.port == 6390)
        #expect(ipv6.database == 2)
    }

    @Test("limits keep their documented defaults")
    func defaults() throws {
        let configuration = try RedisConfiguration(url: "redis://127.0.0.1")
        #expect(configuration.connectionsMax == 16)
        #expect(configuration.connectTimeout == .milliseconds(50))
        #expect(configuration.commandTimeout == .milliseconds(50))
        #expect(configuration.reconnectBackoff == .milliseconds(500))
    }

    @Test(
        "malformed or unsupported URLs are rejected with a reason",
        arguments: [
            ("http://127.0.0.1:6379", "scheme"),
            ("rediss://127.0.0.1:6379", "TLS"),
            ("127.0.0.1:6379", "scheme"),
            ("redis://", "host"),
            ("redis://:6379", "host"),
            ("redis://h:0", "port"),
            ("redis://h:65536", "port"),
            ("redis://h:+5", "port"),
            ("redis://h:port", "port"),
            ("redis://h/db", "database"),
            ("redis://h/-1", "database"),
            ("redis://h/1/2", "database"),
            ("redis://user:secret@h", "credentials"),
            ("redis://h?timeout=1", "query"),
            ("redis://::1:6379", "IPv6"),
        ]
    )
    func rejects(url: String, reason: String) {
        do {
            _ = try RedisConfiguration(url: url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.kind == .configuration)
            #expect(error.message.contains(reason), "\(error.message)")
            #expect(!error.message.contains("secret"), "the message must not repeat credentials")
        }
    }
}
