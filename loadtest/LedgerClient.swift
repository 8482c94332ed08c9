import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Sends planned requests to the ledger's URLs over a bounded keep-alive HTTP/1.1 pool, and
/// retries what the contract says is safe to retry with the same idempotency key.
struct LedgerClient: Sendable {
    let http: HTTPClient
    let baseURLs: [String]
    let apiKey: String
    let requestTimeout: Duration
    let retriesMax: Int

    /// Answers larger than this are cut off as a transport error; a batch of 8,190 results fits.
    static let responseBodyBytesMax = 16 << 20
    /// A server's Retry-After is honoured up to this long, so a run keeps moving.
    static let retryDelayMax: Duration = .seconds(1)
    static let retryDelayBase: Duration = .milliseconds(20)
    /// Idle keep-alive connections are closed after this long.
    static let idleTimeout: Duration = .seconds(60)

    init(baseURLs: [String], apiKey: String, connectionsPerHost: Int, connectTimeout: Duration, requestTimeout: Duration, retriesMax: Int) {
        precondition(!baseURLs.isEmpty, "at least one base URL")
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.decompression = .disabled
        configuration.redirectConfiguration = .disallow
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: TimeAmount(connectTimeout), read: TimeAmount(requestTimeout))
        configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: TimeAmount(Self.idleTimeout),
            concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost
        )
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.baseURLs = baseURLs.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.apiKey = apiKey
        self.requestTimeout = requestTimeout
        self.retriesMax = retriesMax
    }

    func shutdown() async {
        try? await self.http.shutdown()
    }

    /// Set-up and books-check requests are retried at least this often whatever `--retries`
    /// says: they are not measured, and a run cannot go on without them.
    static let supportRetriesMin = 5

    /// Sends a request, retrying with the same key and body after a 503, a 429, a 409
    /// `idempotency_key_in_flight` or a transport failure, at most `retriesMax` times (or
    /// `retries`, when given).
    func send(_ request: PlannedRequest, retries: Int? = nil) async -> Exchange {
        let retriesMax = retries ?? self.retriesMax
        var exchange = Exchange(final: .failed(transportError: "not_sent"), attempts: 0, retryReasons: [], sawTransportError: false)
        while true {
            let attempt = await self.once(request)
            exchange.attempts += 1
            exchange.final = attempt
            if case .failed = attempt {
                exchange.sawTransportError = true
            }
            guard let reason = Self.retryReason(attempt), exchange.attempts <= retriesMax else {
                return exchange
            }
            exchange.retryReasons.append(reason)
            try? await Task.sleep(for: self.delay(after: attempt, attempts: exchange.attempts))
        }
    }

    static func retryReason(_ attempt: Attempt) -> String? {
        switch attempt {
        case .failed(let kind):
            return "transport_\(kind)"
        case .answered(let answer):
            switch answer.status {
            case 503: return "503_\(answer.problemCode ?? "unavailable")"
            case 429: return "429_\(answer.problemCode ?? "rate_limited")"
            case 409 where answer.problemCode == "idempotency_key_in_flight": return "409_idempotency_key_in_flight"
            default: return nil
            }
        }
    }

    private func delay(after attempt: Attempt, attempts: Int) -> Duration {
        if case .answered(let answer) = attempt, let seconds = answer.retryAfterSeconds {
            return min(.milliseconds(Int64(seconds * 1_000)), Self.retryDelayMax)
        }
        // Capped exponential backoff with full jitter; timing never changes the plan.
        let ceiling = min(Self.retryDelayBase * (1 << min(attempts, 10)), Self.retryDelayMax)
        let milliseconds = Double(ceiling.components.seconds) * 1_000 + Double(ceiling.components.attoseconds) / 1e15
        return .milliseconds(Int64(Double.random(in: 0...milliseconds)))
    }

    /// One try, without retries.
    func once(_ request: PlannedRequest) async -> Attempt {
        var http = HTTPClientRequest(url: self.baseURLs[request.urlIndex % self.baseURLs.count] + request.path)
        http.method = request.method == .get ? .GET : .POST
        http.headers.add(name: "Authorization", value: "Bearer \(self.apiKey)")
        http.headers.add(name: "Accept", value: "application/json")
        if let key = request.idempotencyKey {
            http.headers.add(name: "Idempotency-Key", value: key)
        }
        if let body = request.body {
            http.headers.add(name: "Content-Type", value: "application/json")
            http.body = .bytes(body)
        }
        do {
            let response = try await self.http.execute(http, timeout: TimeAmount(self.requestTimeout))
            let buffer = try await response.body.collect(upTo: Self.responseBodyBytesMax)
            let body = Array(buffer.readableBytesView)
            let status = Int(response.status.code)
            return .answered(HTTPAnswer(
                status: status,
                body: body,
                replayed: response.headers.first(name: "Idempotent-Replayed")?.lowercased() == "true",
                retryAfterSeconds: response.headers.first(name: "Retry-After").flatMap(Double.init),
                problemCode: status >= 400 ? ResponseParser.problemCode(body) : nil
            ))
        } catch {
            return .failed(transportError: Self.classify(error))
        }
    }

    /// A short stable name for a transport failure, for the report's counters.
    static func classify(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout, .deadlineExceeded, .writeTimeout: return "timeout"
            case .connectTimeout: return "connect_timeout"
            case .remoteConnectionClosed: return "connection_closed"
            case .getConnectionFromPoolTimeout: return "pool_timeout"
            case .cancelled: return "cancelled"
            default: return "http_client"
            }
        }
        if error is NIOTooManyBytesError {
            return "response_too_large"
        }
        let text = String(describing: error).lowercased()
        if text.contains("connection refused") || text.contains("connect") {
            return "connect_failed"
        }
        if text.contains("reset") || text.contains("eof") || text.contains("closed") {
            return "connection_reset"
        }
        return "other"
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
