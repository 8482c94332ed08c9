import HTTPTypes
import Hummingbird
import NIOCore
import Postgres
import Prometheus
import Redis

/// Liveness, readiness and metrics: outside /v1, unauthenticated, never written to.
struct OperationalRoutes: Sendable {
    let pool: PostgresPool
    let redis: RedisClient
    let registry: PrometheusCollectorRegistry
    let readinessTimeout: Duration

    /// 200 whenever the process can answer at all.
    func health(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        var writer = JSONWriter()
        writer.objectStart()
        writer.field("status", "ok")
        writer.objectEnd()
        return LedgerRoutes.json(writer)
    }

    /// 200 only when both Postgres and Redis answer within `readinessTimeout`; the body says
    /// which one failed, so an operator sees it without reading logs.
    func readiness(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        let (pool, redis, timeout) = (pool, redis, readinessTimeout)
        async let postgresUp = withDeadline(timeout) {
            do {
                try await pool.ping()
                return true
            } catch {
                return false
            }
        }
        async let redisUp = withDeadline(timeout) {
            do {
                try await redis.ping()
                return true
            } catch {
                return false
            }
        }
        let postgres = await postgresUp ?? false
        let redisOK = await redisUp ?? false
        let ready = postgres && redisOK
        var writer = JSONWriter()
        writer.objectStart()
        writer.field("status", ready ? "ready" : "unavailable")
        writer.field("postgres", postgres ? "ok" : "unavailable")
        writer.field("redis", redisOK ? "ok" : "unavailable")
        writer.objectEnd()
        var response = LedgerRoutes.json(writer, status: ready ? .ok : .serviceUnavailable)
        if !ready { response.headers[.retryAfter] = "1" }
        return response
    }

    /// The Prometheus text exposition of every metric on the registry.
    func metrics(_ request: Request, context: LedgerRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}
