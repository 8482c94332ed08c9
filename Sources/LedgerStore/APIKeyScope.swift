/// What an API key may do (PRODUCT.md §4). Each `/v1` route needs one of these; `audit` is
/// for tools that read the books outside the HTTP API.
public enum APIKeyScope: String, Sendable, Hashable, CaseIterable, Comparable {
    case accountsWrite = "accounts:write"
    case transfersWrite = "transfers:write"
    case read
    case audit

    /// The most scopes a comma-separated list may name; there are only four, so more is a mistake.
    static let listEntriesMax = 16

    /// Reads one scope by its name; unknown names are an error, never ignored, because a
    /// misspelt scope would silently make a key weaker or stronger than its maker meant.
    public static func parse(_ text: some StringProtocol) throws(APIKeyError) -> APIKeyScope {
        let name = text.trimmingSpaces
        guard let scope = APIKeyScope(rawValue: name) else {
            let known = allCases.map(\.rawValue).joined(separator: ", ")
            throw APIKeyError(.unknownScope, "unknown scope \"\(name)\"; the scopes are \(known)")
        }
        return scope
    }

    /// Reads a comma-separated list such as `accounts:write,read`. The list must name at least one scope.
    public static func parseList(_ text: String) throws(APIKeyError) -> Set<APIKeyScope> {
        let names = text.split(separator: ",", omittingEmptySubsequences: false)
        guard names.count <= listEntriesMax else {
            throw APIKeyError(.unknownScope, "a scope list names at most \(listEntriesMax) scopes")
        }
        var scopes: Set<APIKeyScope> = []
        for name in names where !name.trimmingSpaces.isEmpty {
            scopes.insert(try parse(name))
        }
        guard !scopes.isEmpty else {
            throw APIKeyError(.noScopes, "a key needs at least one scope")
        }
        return scopes
    }

    /// Scopes in their declaration order, joined with commas: the stable way to show a set.
    public static func list(_ scopes: Set<APIKeyScope>) -> String {
        scopes.sorted().map(\.rawValue).joined(separator: ",")
    }

    public static func < (lhs: APIKeyScope, rhs: APIKeyScope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
