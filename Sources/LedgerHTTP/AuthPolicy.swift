public import Hummingbird
import Foundation
import LedgerStore

/// Maps a request's method and path to what it requires of the caller.
///
/// The mapping runs before routing, on the raw path, so it must not be fooled by spellings
/// that the router would still match: it ignores empty segments, decodes percent escapes and
/// compares without case. Everything it does not know to be open needs a key.
public struct AuthPolicy: Sendable {
    public let requirement: @Sendable (HTTPRequest.Method, String) -> AuthRequirement

    public init(_ requirement: @escaping @Sendable (HTTPRequest.Method, String) -> AuthRequirement) {
        self.requirement = requirement
    }

    /// One requirement for every request, for middleware added to a single route or group.
    public static func always(_ requirement: AuthRequirement) -> AuthPolicy {
        AuthPolicy { _, _ in requirement }
    }

    /// The routes of PRODUCT.md §2: `POST /v1/accounts` needs `accounts:write`,
    /// `POST /v1/transfers…` (single, batch, post, void) needs `transfers:write`, every `GET` needs
    /// `read`; `/healthz`, `/readyz` and `/metrics` are open.
    public static let ledger = AuthPolicy { method, path in
        let segments = normalizedSegments(path)
        if segments.count == 1, ["healthz", "readyz", "metrics"].contains(segments[0]),
            method == .get || method == .head
        {
            return .open
        }
        switch method {
        case .post where segments == ["v1", "accounts"]:
            return .scope(.accountsWrite)
        case .post where segments.count >= 2 && segments[0] == "v1" && segments[1] == "transfers":
            return .scope(.transfersWrite)
        case .get, .head:
            return .scope(.read)
        default:
            return .authenticated
        }
    }

    /// The path's non-empty segments, percent-decoded and lowercased; the query is not part of it.
    /// Segments of plain lowercase ASCII, which is every path a client normally sends, skip the
    /// decoding and case folding: this runs on every request.
    static func normalizedSegments(_ path: String) -> [String] {
        let pathOnly = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return pathOnly.split(separator: "/").map { segment in
            let plain = !segment.utf8.contains { byte in
                byte == UInt8(ascii: "%") || byte >= 0x80 || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            }
            if plain { return String(segment) }
            return (String(segment).removingPercentEncoding ?? String(segment)).lowercased()
        }
    }
}
