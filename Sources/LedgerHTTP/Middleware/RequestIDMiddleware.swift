import Foundation
import HTTPTypes
public import Hummingbird
import LedgerCore
import Logging

/// The outermost link: gives every request an id, logs with it, and puts it on every response.
///
/// A client's `X-Request-Id` is echoed when it is 1–128 printable ASCII characters, so callers
/// can follow their own ids through our logs; anything else is replaced by a fresh UUIDv7
/// rather than trusted into log lines. Because it is outermost, it is also the last place an
/// error can become a response, so it turns anything still thrown into a problem and no
/// response leaves without the header.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = LedgerRequestContext

    public static let headerName = HTTPField.Name("X-Request-Id")!
    public static let clientIDCharactersMax = 128

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = Self.acceptable(request.headers[Self.headerName]) ?? UUID.v7().lowercasedString
        context.requestID = id
        // One id per request in the logs: ours, which the client also sees, replaces the server's.
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "http.request.id"] = .string(id)
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = Problem.from(error, logger: context.logger).response()
        }
        response.headers[Self.headerName] = id
        return response
    }

    /// The client's id if it is safe to echo and log, else nil.
    static func acceptable(_ value: String?) -> String? {
        guard let value, (1...clientIDCharactersMax).contains(value.utf8.count) else { return nil }
        guard value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return value
    }
}
