import Foundation
import Hummingbird
import HummingbirdTesting
import LedgerHTTP
import LedgerStore
import LedgerTestSupport
import Logging
import NIOCore
import Synchronization
import Testing

/// The smallest context the access middlewares work with.
struct AuthTestContext: AuthenticatedRequestContext {
    var coreContext: CoreRequestContextStorage
    var apiKeyID: String?
    var scopes: Set<String> = []

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
    }
}

/// Every log line a logger wrote, with its metadata, to check what is and is not logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.append("\(event.level) \(event.message) \(merged)")
    }
}

/// The routes of PRODUCT.md §2, each answering with the id of the key that called it.
func accessRouter(
    keys: AuthKeyCache, limiter: RateLimiter? = nil
) -> Router<AuthTestContext> {
    let router = Router(context: AuthTestContext.self)
    router.add(middleware: AuthMiddleware(keys: keys))
    if let limiter {
        router.add(middleware: RateLimitMiddleware(limiter: limiter, keys: keys))
    }
    let answer: @Sendable (Request, AuthTestContext) async throws -> String = { _, context in
        context.apiKeyID ?? "anonymous"
    }
    router.post("/v1/accounts", use: answer)
    router.get("/v1/accounts", use: answer)
    router.get("/v1/accounts/{id}", use: answer)
    router.get("/v1/accounts/{id}/entries", use: answer)
    router.get("/v1/accounts/{id}/balance", use: answer)
    router.post("/v1/transfers", use: answer)
    router.post("/v1/transfers/batch", use: answer)
    router.get("/v1/transfers/{id}", use: answer)
    router.post("/v1/transfers/{id}/post", use: answer)
    router.post("/v1/transfers/{id}/void", use: answer)
    router.get("/healthz", use: answer)
    router.get("/readyz", use: answer)
    router.get("/metrics", use: answer)
    return router
}

func bearer(_ secret: APIKeySecret) -> HTTPFields {
    [.authorization: "Bearer \(secret.text)"]
}

/// Runs `body` with a fresh migrated database and drops it on every path.
func withKeyDatabase(_ body: (APIKeyStore) async throws -> Void) async throws {
    let database = try await TestDatabase.create(label: "auth")
    do {
        try await body(APIKeyStore(pool: database.pool))
    } catch {
        await database.drop()
        throw error
    }
    await database.drop()
}

@Suite("AuthMiddleware")
struct AuthMiddlewareTests {
    static let writeRoutes: [(String, APIKeyScope)] = [
        ("/v1/accounts", .accountsWrite),
        ("/v1/transfers", .transfersWrite),
        ("/v1/transfers/batch", .transfersWrite),
        ("/v1/transfers/0190a1b2-0000-7000-8000-000000000001/post", .transfersWrite),
        ("/v1/transfers/0190a1b2-0000-7000-8000-000000000001/void", .transfersWrite),
    ]

    static let readRoutes = [
        "/v1/accounts", "/v1/accounts/0190a1b2-0000-7000-8000-000000000001",
        "/v1/accounts/0190a1b2-0000-7000-8000-000000000001/entries?limit=10",
        "/v1/accounts/0190a1b2-0000-7000-8000-000000000001/balance", "/v1/transfers/0190a1b2-0000-7000-8000-000000000001",
    ]

    @Test("a missing Authorization header is 401 unauthorized with a Bearer challenge")
    func missingKey() async throws {
        try await withKeyDatabase { store async throws in
            let app = Application(router: accessRouter(keys: AuthKeyCache(store: store)))
            try await app.test(.router) { client async throws in
                for (path, _) in Self.writeRoutes {
                    let response = try await client.execute(uri: path, method: .post)
                    try Self.expectProblem(response, status: .unauthorized, code: "unauthorized")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                }
                for path in Self.readRoutes {
                    try Self.expectProblem(try await client.execute(uri: path, method: .get), status: .unauthorized, code: "unauthorized")
                }
                // Routes that do not exist still ask for a key first.
                try Self.expectProblem(try await client.execute(uri: "/v1/nothing", method: .delete), status: .unauthorized, code: "unauthorized")
            }
        }
    }

    @Test("malformed Authorization headers are 401")
    func malformedKey() async throws {
        try await withKeyDatabase { store async throws in
            let (_, secret) = try await store.create(name: "good", scopes: Set(APIKeyScope.allCases))
            let app = Application(router: accessRouter(keys: AuthKeyCache(store: store)))
            let malformed: [HTTPFields] = [
                [.authorization: "Basic dXNlcjpwYXNz"],
                [.authorization: "Bearer"],
                [.authorization: "Bearer "],
                [.authorization: "Bearer not-a-key"],
                [.authorization: "Bearer ldg_short"],
                [.authorization: "Bearer \(secret.text) extra"],
                [.authorization: secret.text],
                [.authorization: "Bearer \(secret.text)", .authorization: "Bearer \(secret.text)"],
            ]
            try await app.test(.router) { client async throws in
                for headers in malformed {
                    let response = try await client.execute(uri: "/v1/accounts", method: .post, headers: headers)
                    try Self.expectProblem(response, status: .unauthorized, code: "unauthorized")
                    #expect(response.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
                }
                // The scheme is case-insensitive (RFC 6750), and a valid key is let through.
                let response = try await client.execute(uri: "/v1/accounts", method: .post, headers: [.authorization: "bearer \(secret.text)"])
                #expect(response.status == .ok)
            }
        }
    }

    @Test("an unknown key is 401")
    func unknownKey() async throws {
        try await withKeyDatabase { store async throws in
            let app = Application(router: accessRouter(keys: AuthKeyCache(store: store)))
            try await app.test(.router) { client async throws in
                let response = try await client.execute(uri: "/v1/transfers", method: .post, headers: bearer(APIKeySecret.generate()))
                try Self.expectProblem(response, status: .unauthorized, code: "unauthorized")
            }
        }
    }

    @Test("a revoked key is 401 within a second, here and in another instance's cache")
    func revokedKey() async throws {
        try await withKeyDatabase { store async throws in
            let (key, secret) = try await store.create(name: "soon revoked", scopes: [.read])
            let first = AuthKeyCache(store: store)
            let second = AuthKeyCache(store: store)
            let apps = [Application(router: accessRouter(keys: first)), Application(router: accessRouter(keys: second))]
            for app in apps {
                try await app.test(.router) { client async throws in
                    let response = try await client.execute(uri: "/v1/accounts", method: .get, headers: bearer(secret))
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == key.id)
                }
            }
            try await store.revoke(id: key.id)
            try await Task.sleep(for: .milliseconds(1_050))
            for app in apps {
                try await app.test(.router) { client async throws in
                    let response = try await client.execute(uri: "/v1/accounts", method: .get, headers: bearer(secret))
                    try Self.expectProblem(response, status: .unauthorized, code: "unauthorized")
                }
            }
        }
    }

    @Test("a key without the route's scope is 403 on every write route, and reads need read")
    func wrongScope() async throws {
        try await withKeyDatabase { store async throws in
            let (_, reader) = try await store.create(name: "reader", scopes: [.read])
            let (_, accounts) = try await store.create(name: "accounts", scopes: [.accountsWrite])
            let (_, transfers) = try await store.create(name: "transfers", scopes: [.transfersWrite])
            let (_, auditor) = try await store.create(name: "auditor", scopes: [.audit])
            let (allKey, all) = try await store.create(name: "all", scopes: Set(APIKeyScope.allCases))
            let secrets: [APIKeyScope: APIKeySecret] = [.accountsWrite: accounts, .transfersWrite: transfers]
            let app = Application(router: accessRouter(keys: AuthKeyCache(store: store)))
            try await app.test(.router) { client async throws in
                for (path, scope) in Self.writeRoutes {
                    for secret in [reader, auditor] + secrets.filter({ $0.key != scope }).map(\.value) {
                        let response = try await client.execute(uri: path, method: .post, headers: bearer(secret))
                        try Self.expectProblem(response, status: .forbidden, code: "forbidden")
                        #expect(String(buffer: response.body).contains(scope.rawValue))
                    }
                    #expect(try await client.execute(uri: path, method: .post, headers: bearer(secrets[scope]!)).status == .ok)
                    #expect(try await client.execute(uri: path, method: .post, headers: bearer(all)).status == .ok)
                }
                for path in Self.readRoutes {
                    for secret in [accounts, transfers, auditor] {
                        try Self.expectProblem(try await client.execute(uri: path, method: .get, headers: bearer(secret)), status: .forbidden, code: "forbidden")
                    }
                    let response = try await client.execute(uri: path, method: .get, headers: bearer(reader))
                    #expect(response.status == .ok)
                }
                let response = try await client.execute(uri: "/v1/transfers/batch", method: .post, headers: bearer(all))
                #expect(String(buffer: response.body) == allKey.id)
            }
        }
    }

    @Test("health, readiness and metrics need no key")
    func openRoutes() async throws {
        try await withKeyDatabase { store async throws in
            let app = Application(router: accessRouter(keys: AuthKeyCache(store: store)))
            try await app.test(.router) { client async throws in
                for path in ["/healthz", "/readyz", "/metrics"] {
                    let response = try await client.execute(uri: path, method: .get)
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body) == "anonymous")
                }
            }
        }
    }

    @Test("the route policy is not fooled by spellings the router would still match")
    func policySpellings() {
        let policy = AuthPolicy.ledger.requirement
        #expect(policy(.post, "/v1/accounts") == .scope(.accountsWrite))
        #expect(policy(.post, "//v1//accounts/") == .scope(.accountsWrite))
        #expect(policy(.post, "/V1/Accounts") == .scope(.accountsWrite))
        #expect(policy(.post, "/%76%31/transfers") == .scope(.transfersWrite))
        #expect(policy(.post, "/v1/transfers?x=1") == .scope(.transfersWrite))
        #expect(policy(.post, "/v1/transfers/abc/post") == .scope(.transfersWrite))
        #expect(policy(.get, "/v1/transfers/abc") == .scope(.read))
        #expect(policy(.head, "/v1/accounts") == .scope(.read))
        #expect(policy(.delete, "/v1/accounts/abc") == .authenticated)
        #expect(policy(.get, "/healthz") == .open)
        #expect(policy(.get, "//metrics") == .open)
        #expect(policy(.post, "/healthz") == .authenticated)
        #expect(policy(.get, "/healthz/../v1/accounts") == .scope(.read))
    }

    @Test("answers are cached for at most the time to live, and the cache is bounded")
    func cacheBounds() async throws {
        try await withKeyDatabase { store async throws in
            let (key, secret) = try await store.create(name: "cached", scopes: [.read])
            let lookups = Atomic<Int>(0)
            let cache = AuthKeyCache(timeToLive: .milliseconds(300), entriesMax: 4) { digest in
                lookups.add(1, ordering: .relaxed)
                return try await store.key(digest: digest)
            }
            for _ in 0..<5 {
                #expect(try await cache.key(for: secret) == key)
            }
            #expect(lookups.load(ordering: .relaxed) == 1)
            #expect(cache.cachedKey(id: key.id) == key)
            try await Task.sleep(for: .milliseconds(350))
            #expect(try await cache.key(for: secret) == key)
            #expect(lookups.load(ordering: .relaxed) == 2)
            for _ in 0..<20 {
                #expect((try await cache.key(for: APIKeySecret.generate())) == nil)
                #expect(cache.count <= 4)
            }
        }
    }

    @Test("the secret and the Authorization header never reach the logs; the key id does")
    func nothingSecretLogged() async throws {
        try await withKeyDatabase { store async throws in
            let (key, secret) = try await store.create(name: "logged", scopes: [.read])
            let (revokedKey, revoked) = try await store.create(name: "revoked", scopes: [.read])
            try await store.revoke(id: revokedKey.id)
            let capture = LogCapture()
            let app = Application(router: accessRouter(keys: AuthKeyCache(store: store)), logger: capture.logger())
            try await app.test(.router) { client async throws in
                _ = try await client.execute(uri: "/v1/accounts", method: .post, headers: bearer(secret))
                _ = try await client.execute(uri: "/v1/accounts", method: .get, headers: bearer(revoked))
                _ = try await client.execute(uri: "/v1/accounts", method: .get, headers: [.authorization: "Bearer ldg_short"])
            }
            let lines = capture.all
            #expect(lines.contains { $0.contains(key.id) })
            #expect(lines.contains { $0.contains(revokedKey.id) })
            for line in lines {
                #expect(!line.contains(secret.text.dropFirst(4)))
                #expect(!line.contains(revoked.text.dropFirst(4)))
                #expect(!line.contains("ldg_short"))
                #expect(!line.lowercased().contains("bearer"))
            }
        }
    }

    static func expectProblem(
        _ response: TestResponse, status: HTTPResponse.Status, code: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let body = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
        let problem = try #require(body, sourceLocation: sourceLocation)
        #expect(problem["code"] as? String == code, sourceLocation: sourceLocation)
        #expect(problem["status"] as? Int == Int(status.code), sourceLocation: sourceLocation)
        #expect(problem["type"] as? String == "urn:ledger:problem:\(code)", sourceLocation: sourceLocation)
        #expect((problem["title"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect((problem["detail"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
    }
}
