public import Hummingbird

/// Counts and times every request by route pattern, method and status.
///
/// It turns thrown errors into their problem responses itself, so the status it records is
/// the one the client gets, and a 500 is logged once, here, with the request id.
public struct RequestMetricsMiddleware: RouterMiddleware {
    public typealias Context = LedgerRequestContext

    let metrics: HTTPMetrics

    public init(metrics: HTTPMetrics) {
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Problem.from(error, logger: context.logger).response()
        }
        // The router stores the matched pattern (`/v1/accounts/{id}`), never the raw path, so
        // the label's values are bounded by the route table; unmatched requests share one value.
        let route = context.endpointPath.map { $0 == "NotFound" ? "unmatched" : $0 } ?? "unmatched"
        let method = Self.knownMethods.contains(request.method.rawValue) ? request.method.rawValue : "OTHER"
        metrics.request(route: route, method: method, status: response.status.code, duration: .now - started)
        return response
    }

    /// Methods recorded by name; any other (clients may send any token) is recorded as OTHER.
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
}
