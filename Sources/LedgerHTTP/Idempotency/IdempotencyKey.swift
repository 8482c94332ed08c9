import HTTPTypes
import LedgerStore

/// The `Idempotency-Key` header and the request fingerprint it is bound to (PRODUCT.md §3).
enum IdempotencyKey {
    static let headerName = HTTPField.Name("Idempotency-Key")!
    static let replayedHeaderName = HTTPField.Name("Idempotent-Replayed")!

    /// The key, if it is 1 to `bytesMax` printable ASCII characters; a missing key and a
    /// malformed one are told apart so the client learns which.
    static func validate(_ value: String?, bytesMax: Int) throws(Problem) -> String {
        guard let value, !value.isEmpty else { throw Problem.idempotencyKeyMissing }
        guard value.utf8.count <= bytesMax, value.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw Problem.invalid("Idempotency-Key must be 1 to \(bytesMax) printable ASCII characters", field: "Idempotency-Key")
        }
        return value
    }

    /// SHA-256 of `method ‖ 0x00 ‖ path ‖ 0x00 ‖ body`, where the body is its canonical JSON
    /// when it parses (so key order and whitespace do not matter) and its raw bytes otherwise.
    static func fingerprint(method: String, path: String, body: ParsedBody, rawBody: [UInt8]) -> [UInt8] {
        var input: [UInt8] = Array(method.utf8)
        input.append(0)
        input.append(contentsOf: path.utf8)
        input.append(0)
        switch body {
        case .json(let value): value.writeCanonical(into: &input)
        case .empty, .malformed: input.append(contentsOf: rawBody)
        }
        return SHA256.hash(input)
    }
}
