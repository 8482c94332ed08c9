import LedgerCore

/// `POST /v1/transfers/batch`: `{"transfers": [transfer, …], "atomic"?: bool}`.
struct BatchRequestBody: Sendable {
    var transfers: [NewTransfer]
    /// All or none: when one item fails, nothing is written.
    var atomic: Bool

    init(json: JSONValue) throws(Problem) {
        var reader = try JSONObjectReader(json)
        let list = try reader.require("transfers")
        guard case .array(let items) = list else {
            throw Problem.invalid("transfers must be an array, not \(list.typeName)", field: "transfers")
        }
        guard (1...Limits.transfersPerBatchMax).contains(items.count) else {
            throw Problem.invalid("transfers must hold 1 to \(Limits.transfersPerBatchMax) items", field: "transfers")
        }
        atomic = try reader.bool("atomic") ?? false
        try reader.finish()
        var transfers: [NewTransfer] = []
        transfers.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            transfers.append(try NewTransfer(json: item, path: "transfers.\(index)."))
        }
        self.transfers = transfers
    }
}
