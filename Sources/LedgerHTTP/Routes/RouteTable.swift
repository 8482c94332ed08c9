public import HTTPTypes

/// Every route the service answers, in the OpenAPI path syntax. The router is built from this
/// list and a test holds it equal to the paths of Specs/openapi.yaml, so the contract and the
/// code cannot drift apart silently.
public enum RouteTable {
    public struct Route: Sendable, Hashable, CustomStringConvertible {
        public var method: HTTPRequest.Method
        public var path: String

        public var description: String { "\(method.rawValue) \(path)" }
    }

    public static let operational: [Route] = [
        Route(method: .get, path: "/healthz"),
        Route(method: .get, path: "/readyz"),
        Route(method: .get, path: "/metrics"),
    ]

    public static let v1: [Route] = [
        Route(method: .post, path: "/v1/accounts"),
        Route(method: .get, path: "/v1/accounts"),
        Route(method: .get, path: "/v1/accounts/{id}"),
        Route(method: .get, path: "/v1/accounts/{id}/entries"),
        Route(method: .get, path: "/v1/accounts/{id}/balance"),
        Route(method: .post, path: "/v1/transfers"),
        Route(method: .post, path: "/v1/transfers/batch"),
        Route(method: .get, path: "/v1/transfers/{id}"),
        Route(method: .post, path: "/v1/transfers/{id}/post"),
        Route(method: .post, path: "/v1/transfers/{id}/void"),
    ]

    public static var all: [Route] { operational + v1 }
}
