import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LedgerHTTP
import LedgerStore
import LedgerTestSupport
import Logging
import Postgres
import Redis
import Testing

@Suite("Specs/openapi.yaml and the router agree")
struct OpenAPIRoutesTests {
    /// The package root, found from this file's path (Tests/LedgerHTTPTests/…).
    static let specURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Specs/openapi.yaml")

    /// Reads `METHOD path` pairs from the spec. The file keeps a regular layout for this: the
    /// top-level `paths:` block, each path two spaces in and ending with `:`, each operation
    /// four spaces in, and nothing else at those depths.
    static func specRoutes() throws -> Set<String> {
        let text = try String(contentsOf: specURL, encoding: .utf8)
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var routes = Set<String>()
        var inPaths = false
        var currentPath: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), let currentPath {
                let method = String(line.dropFirst(4).dropLast())
                if methods.contains(method) { routes.insert("\(method.uppercased()) \(currentPath)") }
            }
        }
        return routes
    }

    @Test("every route in the spec is registered, and every registered route is in the spec")
    func routesMatchSpec() throws {
        let spec = try Self.specRoutes()
        let code = Set(RouteTable.all.map(\.description))
        #expect(spec.count >= 13)
        #expect(spec == code, "only in spec: \(spec.subtracting(code).sorted()); only in code: \(code.subtracting(spec).sorted())")
    }

    @Test("the router answers every route of the table rather than 404 no-route")
    func routerAnswersEveryRoute() async throws {
        try await LedgerHarness.with(label: "routes") { harness in
            try await harness.test { client in
                for route in RouteTable.all {
                    let path = route.path.replacingOccurrences(of: "{id}", with: "0190f1b2-0000-7000-8000-000000000000")
                    let response = try await client.executeRequest(uri: path, method: route.method, headers: [:], body: nil)
                    let code = response.status == .notFound ? try response.problemCode() : nil
                    #expect(code != "not_found", "\(route) is not routed")
                }
            }
        }
    }

    @Test("every problem code the service can send is declared in the spec")
    func problemCodesDeclared() throws {
        let text = try String(contentsOf: Self.specURL, encoding: .utf8)
        for code in Problem.titles.keys.sorted() {
            #expect(text.contains("            - \(code)\n"), "\(code) missing from the Problem schema's enum")
        }
    }
}
