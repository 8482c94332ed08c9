import HTTPTypes
import Hummingbird
import LedgerStore
import NIOCore

extension StoredResponse {
    /// The HTTP response for a stored status and body; `replayed` marks an answer that was
    /// stored earlier and is being sent again without anything running.
    func httpResponse(replayed: Bool) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = (200..<300).contains(status) ? "application/json" : Problem.contentType
        if replayed { headers[IdempotencyKey.replayedHeaderName] = "true" }
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The stored form of a problem, for 4xx answers kept with an idempotency key.
    init(problem: Problem) {
        self.init(status: problem.status.code, body: problem.body)
    }
}
