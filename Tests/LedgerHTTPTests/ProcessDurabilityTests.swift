import Foundation
import LedgerStore
import LedgerTestSupport
import Logging
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `ledgerd` binary, killed with SIGKILL right after it acknowledged a write: the write
/// must be there when a new process starts, and a retry of the same request must get the
/// identical stored response, from Postgres alone (PRODUCT.md §3 and §5).
@Suite("ledgerd process durability", .serialized)
struct ProcessDurabilityTests {
    @Test("an acknowledged transfer survives kill -9 of ledgerd, and its retry replays the stored bytes")
    func survivesKill() async throws {
        try await Self.withServer(label: "durability", scopes: [.accountsWrite, .transfersWrite, .read]) { server, client in
            try await server.start()
            let source = try await client.post("/v1/accounts", key: "a-1", json: #"{"currency":"USD"}"#)
            let wallet = try await client.post("/v1/accounts", key: "a-2", json: #"{"currency":"USD"}"#)
            #expect(source.status == 201 && wallet.status == 201)
            let sourceID = try source.string("id")
            let walletID = try wallet.string("id")
            let body = #"{"debit_account_id":"\#(sourceID)","credit_account_id":"\#(walletID)","amount":4200,"currency":"USD"}"#
            let first = try await client.post("/v1/transfers", key: "t-1", json: body)
            #expect(first.status == 201)
            server.kill()

            // A new process whose Redis database is empty must still know the write and the key.
            server.redisURL = TestDatabase.replacingDatabase(in: server.redisURL, with: "12")
            try await server.start()
            let transferID = try first.string("id")
            let stored = try await client.get("/v1/transfers/\(transferID)")
            #expect(stored.status == 200)
            #expect(try stored.int("amount") == 4_200)
            let balance = try await client.get("/v1/accounts/\(walletID)")
            #expect(try balance.int("credits_posted") == 4_200)
            let retry = try await client.post("/v1/transfers", key: "t-1", json: body)
            #expect(retry.status == 201)
            #expect(retry.body == first.body, "the retry must get the first response byte for byte")
            #expect(retry.headers["Idempotent-Replayed"] == "true")
        }
    }

    /// A fresh database holding an API key with `scopes`, and a `ledgerd` for it (not started)
    /// with a client that carries the key. On every path the process is stopped by PID when the
    /// body ends, and the database is dropped.
    static func withServer(
        label: String, scopes: Set<APIKeyScope>, _ body: (LedgerdProcess, HTTPTestClient) async throws -> Void
    ) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let binDirectory = environment["LEDGER_BIN_DIR"], let redisURL = environment["REDIS_URL"] else {
            throw TestEnvironmentError(message: "LEDGER_BIN_DIR and REDIS_URL must be set: run the tests with `make test`")
        }
        let database = try await TestDatabase.create(label: label)
        do {
            let (_, secret) = try await APIKeyStore(pool: database.pool).create(name: label, scopes: scopes)
            let server = LedgerdProcess(
                binary: URL(fileURLWithPath: binDirectory).appendingPathComponent("ledgerd"),
                databaseURL: database.url, redisURL: redisURL
            )
            defer { server.kill() }
            try await body(server, HTTPTestClient(baseURL: server.baseURL, token: secret.text))
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }
}

extension ProcessDurabilityTests {
    @Test("the process exports where commit time goes: a phase timer each for reads, the engine and writes")
    func commitPhaseMetrics() async throws {
        try await Self.withServer(label: "phases", scopes: [.accountsWrite, .read]) { server, client in
            try await server.start()
            for index in 0..<3 {
                let created = try await client.post("/v1/accounts", key: "phase-\(index)", json: #"{"currency":"USD"}"#)
                #expect(created.status == 201)
            }
            let text = String(decoding: try await client.get("/metrics").body, as: UTF8.self)
            for phase in ["read", "apply", "write"] {
                // One request at a time makes a group each, and a group's phases are recorded
                // before its requests are answered.
                #expect((Self.sample(text, #"ledger_commit_phase_seconds_count{phase="\#(phase)"}"#) ?? 0) >= 3, "\(phase): \(text)")
                #expect((Self.sample(text, #"ledger_commit_phase_seconds_sum{phase="\#(phase)"}"#) ?? 0) > 0, "\(phase)")
            }
        }
    }

    /// The value of the sample named exactly `name` (labels included) in Prometheus text.
    static func sample(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }
}

/// One `ledgerd` child process on a free port, stopped by PID on every path.
final class LedgerdProcess: @unchecked Sendable {
    let binary: URL
    let databaseURL: String
    var redisURL: String
    let port: Int
    private var process: Process?

    init(binary: URL, databaseURL: String, redisURL: String) {
        self.binary = binary
        self.databaseURL = databaseURL
        self.redisURL = redisURL
        self.port = Int.random(in: 20_000...29_999)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    func start() async throws {
        let process = Process()
        process.executableURL = binary
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        environment["REDIS_URL"] = redisURL
        environment["LEDGER_HOST"] = "127.0.0.1"
        environment["LEDGER_PORT"] = String(port)
        environment["LEDGER_LOG_LEVEL"] = "warning"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let response = try? await HTTPTestClient(baseURL: baseURL, token: nil).get("/healthz"), response.status == 200 {
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill()
        throw TestEnvironmentError(message: "ledgerd did not become healthy on port \(port)")
    }

    /// SIGKILL: no draining, no clean shutdown, exactly like a crash.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    deinit { kill() }
}

/// Just enough HTTP for the process tests.
struct HTTPTestClient: Sendable {
    let baseURL: String
    let token: String?

    struct Response: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data

        func value(_ field: String) throws -> Any {
            let object = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            guard let value = object?[field] else { throw TestEnvironmentError(message: "no \(field) in \(String(decoding: body, as: UTF8.self))") }
            return value
        }

        func string(_ field: String) throws -> String {
            guard let text = try value(field) as? String else { throw TestEnvironmentError(message: "\(field) is not a string") }
            return text
        }

        func int(_ field: String) throws -> Int {
            guard let number = try value(field) as? NSNumber else { throw TestEnvironmentError(message: "\(field) is not a number") }
            return number.intValue
        }
    }

    func get(_ path: String) async throws -> Response {
        try await send(method: "GET", path: path, key: nil, body: nil)
    }

    func post(_ path: String, key: String, json: String) async throws -> Response {
        try await send(method: "POST", path: path, key: key, body: Data(json.utf8))
    }

    private func send(method: String, path: String, key: String?, body: Data?) async throws -> Response {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.timeoutInterval = 10
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let key { request.setValue(key, forHTTPHeaderField: "Idempotency-Key") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw TestEnvironmentError(message: "not an HTTP response") }
        var headers: [String: String] = [:]
        for name in ["Idempotent-Replayed", "X-Request-Id", "Retry-After"] {
            headers[name] = http.value(forHTTPHeaderField: name)
        }
        return Response(status: http.statusCode, headers: headers, body: data)
    }
}
