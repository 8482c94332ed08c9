import HTTPTypes
public import Hummingbird
import NIOCore

/// Collects the request body under the route's size limit, before any other link reads it.
///
/// A declared `Content-Length` above the limit is refused with 413 before a byte of the body
/// is read (PRODUCT.md §2); a chunked body is collected with the same cap and refused as soon
/// as it passes it, so no body larger than the limit is ever held in memory.
public struct BodyLimitMiddleware: RouterMiddleware {
    public typealias Context = LedgerRequestContext

    let bytesMax: Int
    /// Routes (by pattern) with a limit of their own: the batch route takes more.
    let bytesMaxByRoute: [String: Int]

    public init(bytesMax: Int, bytesMaxByRoute: [String: Int] = [:]) {
        precondition(bytesMax > 0, "the body limit must be positive")
        self.bytesMax = bytesMax
        self.bytesMaxByRoute = bytesMaxByRoute
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let limit = context.endpointPath.flatMap { bytesMaxByRoute[$0] } ?? bytesMax
        if let declared = request.headers[.contentLength] {
            guard let length = Int(declared), length >= 0 else {
                throw Problem.invalid("Content-Length is not a byte count", field: "Content-Length")
            }
            guard length <= limit else { throw Problem.payloadTooLarge(bytesMax: limit) }
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Problem.payloadTooLarge(bytesMax: limit)
        }
        var context = context
        context.requestBody = body
        return try await next(request, context)
    }
}
