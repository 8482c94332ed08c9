/// `POST /v1/transfers/{id}/post`: an empty body, `{}`, or `{"amount": n}` to post part of the hold.
struct PostPendingBody: Sendable {
    var amount: Int64?

    init(_ body: ParsedBody) throws(Problem) {
        switch body {
        case .empty:
            amount = nil
        case .malformed(let error):
            throw Problem.invalid("the body is not valid JSON: \(error)")
        case .json(let value):
            var reader = try JSONObjectReader(value)
            amount = try reader.amount("amount")
            try reader.finish()
        }
    }
}
