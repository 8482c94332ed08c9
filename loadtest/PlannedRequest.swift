import Foundation

/// One HTTP request of the plan: what is sent, and what it means for the books.
struct PlannedRequest: Sendable {
    enum Method: String, Sendable {
        case get = "GET"
        case post = "POST"
    }

    /// What the request does to the ledger, so that its answer can be booked.
    indirect enum Role: Sendable {
        case createAccount(UUID)
        case createTransfer(TransferIntent)
        case batch([TransferIntent])
        case postPending(transferID: UUID, amount: Int64?)
        case voidPending(transferID: UUID)
        /// A resend of request `originalSerial` with its key and body.
        case replay(originalSerial: Int, original: Role)
        case readAccount(UUID)
        case readTransfer(UUID)
    }

    /// Position in the plan; unique within a run.
    var serial: Int
    var method: Method
    var path: String
    var body: [UInt8]?
    var idempotencyKey: String?
    /// Which `--url` receives it (round robin by serial).
    var urlIndex: Int
    var role: Role
}

extension PlannedRequest.Role {
    /// The transfers this request creates, if it creates any.
    var createdTransfers: [TransferIntent] {
        switch self {
        case .createTransfer(let intent): [intent]
        case .batch(let intents): intents
        case .replay(_, let original): original.createdTransfers
        default: []
        }
    }

    /// The short name used in counters and reports.
    var kind: String {
        switch self {
        case .createAccount: "create_account"
        case .createTransfer(let intent): intent.pending ? "create_pending" : "create_transfer"
        case .batch: "batch"
        case .postPending: "post_pending"
        case .voidPending: "void_pending"
        case .replay: "replay"
        case .readAccount: "read_account"
        case .readTransfer: "read_transfer"
        }
    }

    var isWrite: Bool {
        switch self {
        case .readAccount, .readTransfer: false
        default: true
        }
    }
}

/// One unit of work of the plan: a request, and for the pending scenario a follow-up that is
/// sent only once the first one was acknowledged.
struct PlannedOperation: Sendable {
    var index: Int
    var first: PlannedRequest
    var followUp: PlannedRequest?
}
