import Foundation
import LedgerCore
import LedgerStore
public import Logging
public import Postgres

/// Exports one account's statement for a period (PRODUCT.md §6).
///
/// Everything is read in one `REPEATABLE READ READ ONLY` snapshot: the account, the opening
/// balance, the period's totals, and then the entries themselves, streamed in single-row mode
/// and written through a bounded buffer, so memory stays flat however long the statement.
/// While streaming, the exporter re-adds the running balance and refuses to finish a statement
/// whose stored balances do not add up.
public struct StatementExporter: Sendable {
    public struct Configuration: Sendable {
        /// Bytes rendered before they are handed to the output.
        public var bufferBytesMax = 64 * 1024
        /// Lines between two progress reports.
        public var progressEveryLines = 10_000

        public init() {}
    }

    let pool: PostgresPool
    let configuration: Configuration
    let logger: Logger

    public init(pool: PostgresPool, configuration: Configuration = .init(), logger: Logger) {
        precondition(configuration.bufferBytesMax > 0 && configuration.progressEveryLines > 0, "limits must be positive")
        self.pool = pool
        self.configuration = configuration
        self.logger = logger
    }

    /// Exports in one of the built-in formats.
    /// - Throws: `AuditError` (unknown account, a format limit, inconsistent books, output
    ///   failure) or `PostgresError`.
    @discardableResult
    public func export(
        account: AccountReference, period: StatementPeriod, format: StatementFormat, to output: some StatementOutput,
        progress: (@Sendable (StatementProgress) -> Void)? = nil
    ) async throws -> Statement {
        try await export(account: account, period: period, writer: format.makeWriter(), to: output, progress: progress)
    }

    /// Exports with any writer. Returns the statement's header and totals.
    @discardableResult
    public func export<Writer: StatementWriter & Sendable>(
        account reference: AccountReference, period: StatementPeriod, writer: Writer, to output: some StatementOutput,
        progress: (@Sendable (StatementProgress) -> Void)? = nil
    ) async throws -> Statement {
        let createdAt = Date().truncatedToMicroseconds
        let messageID = CAMT053StatementWriter.compact(UUID.v7(now: createdAt).uuidString)
        let configuration = self.configuration
        // A read-only snapshot never fails with a serialization error, and the body writes to
        // the output as it goes, so it must never run twice.
        let statement = try await pool.withTransaction(
            .repeatableReadReadOnlyDeferrable, retry: RetryPolicy(attemptsMax: 1), logger: logger
        ) { connection in
            guard let account = try Self.resolve(reference, on: connection) else {
                throw AuditError(.invalidInput, "no account with id or code \(reference.text.debugDescription)")
            }
            let statement = try Self.header(
                account: account, period: period, messageID: messageID, createdAt: createdAt, on: connection
            )
            var run = Run(statement: statement, writer: writer, output: output, configuration: configuration, progress: progress)
            try run.begin()
            try connection.forEachRow(
                """
                SELECT sequence, transfer_id, direction, amount, balance_after,
                       (extract(epoch FROM created_at) * 1000000)::bigint
                FROM entries WHERE account_id = $1 AND created_at >= $2 AND created_at < $3
                ORDER BY created_at, sequence
                """,
                [.init(account.id), .init(period.start), .init(period.end)],
                step: "stream statement entries"
            ) { row in
                try run.add(Self.line(from: row))
            }
            try run.finish()
            return statement
        }
        logger.info(
            "statement exported",
            metadata: ["ledger.account.id": "\(statement.account.id.lowercasedString)", "ledger.statement.lines": "\(statement.lineCount)"]
        )
        return statement
    }

    // MARK: - Reads

    static func resolve(_ reference: AccountReference, on connection: PostgresConnection) throws -> Account? {
        // An id match wins over a code that happens to spell the same UUID.
        let rows = try connection.query(
            """
            SELECT id, code, currency, flags, metadata, created_at FROM accounts
            WHERE id = $1::uuid OR code = $2
            ORDER BY (id IS NOT DISTINCT FROM $1::uuid) DESC LIMIT 1
            """,
            [reference.id.map { .init($0) } ?? .null, .init(reference.text)],
            step: "resolve statement account"
        )
        guard let row = rows.first else { return nil }
        let id = try row.uuid(0)
        guard let currency = Currency(try row.string(2)) else {
            throw AuditError(.inconsistentBooks, "account \(id.lowercasedString) has an invalid currency")
        }
        return Account(
            id: id, code: row.optionalString(1), currency: currency, flags: AccountFlags(rawValue: try row.int(3)),
            metadata: row.optionalString(4), createdAt: try row.date(5)
        )
    }

    /// The opening balance and the period's totals, read before any line is written.
    static func header(
        account: Account, period: StatementPeriod, messageID: String, createdAt: Date, on connection: PostgresConnection
    ) throws -> Statement {
        let rows = try connection.query(
            """
            SELECT
              (SELECT balance_after FROM entries WHERE account_id = $1 AND created_at < $2
                ORDER BY created_at DESC, sequence DESC LIMIT 1),
              count(*) FILTER (WHERE direction = 'debit'),
              coalesce(sum(amount) FILTER (WHERE direction = 'debit'), 0),
              count(*) FILTER (WHERE direction = 'credit'),
              coalesce(sum(amount) FILTER (WHERE direction = 'credit'), 0)
            FROM entries WHERE account_id = $1 AND created_at >= $2 AND created_at < $3
            """,
            [.init(account.id), .init(period.start), .init(period.end)],
            step: "statement totals"
        )
        guard let row = rows.first else {
            throw PostgresError(kind: .server, message: "an aggregate returned no row", step: "statement totals")
        }
        let opening = try row.isNull(0) ? 0 : row.int128(0)
        let debits = StatementTotal(count: try row.int(1), amount: try row.int128(2))
        let credits = StatementTotal(count: try row.int(3), amount: try row.int128(4))
        let identity = "statement|\(account.id.lowercasedString)|\(period.start.microsecondsSinceEpoch)|\(period.end.microsecondsSinceEpoch)"
        return Statement(
            messageID: messageID,
            statementID: String(SHA256.hex(SHA256.hash(Array(identity.utf8))).prefix(32)),
            createdAt: createdAt, account: account, period: period,
            openingBalance: opening, closingBalance: opening + credits.amount - debits.amount,
            debits: debits, credits: credits
        )
    }

    static func line(from row: PostgresRow) throws -> StatementLine {
        let sequence = try row.int64(0)
        guard let direction = EntryDirection(rawValue: try row.string(2)) else {
            throw AuditError(.inconsistentBooks, "entry \(sequence) has an unknown direction")
        }
        return StatementLine(
            sequence: sequence, bookedAt: Date(microsecondsSinceEpoch: try row.int64(5)), transferID: try row.uuid(1),
            direction: direction, amount: try row.int64(3), balanceAfter: try row.int128(4)
        )
    }

    // MARK: - One export's running state

    /// The writer, its buffer, and the sums that must come out equal to the header's.
    private struct Run<Writer: StatementWriter, Output: StatementOutput> {
        let statement: Statement
        var writer: Writer
        let output: Output
        let configuration: Configuration
        let progress: (@Sendable (StatementProgress) -> Void)?
        var buffer: [UInt8] = []
        var running: Int128
        var debits = StatementTotal.zero
        var credits = StatementTotal.zero
        var lastSequence = Int64.min

        init(
            statement: Statement, writer: Writer, output: Output, configuration: Configuration,
            progress: (@Sendable (StatementProgress) -> Void)?
        ) {
            self.statement = statement
            self.writer = writer
            self.output = output
            self.configuration = configuration
            self.progress = progress
            self.running = statement.openingBalance
            buffer.reserveCapacity(configuration.bufferBytesMax + 4096)
        }

        var linesWritten: Int { debits.count + credits.count }

        mutating func begin() throws {
            try writer.begin(statement, into: &buffer)
            progress?(StatementProgress(linesWritten: 0, linesTotal: statement.lineCount))
        }

        mutating func add(_ line: StatementLine) throws {
            let accountID = statement.account.id
            guard line.sequence > lastSequence else {
                throw AuditError(.inconsistentBooks, "entry \(line.sequence) of account \(accountID.lowercasedString) is booked before entry \(lastSequence) although it comes after it: run `ledger verify`")
            }
            lastSequence = line.sequence
            switch line.direction {
            case .debit:
                running -= Int128(line.amount)
                debits.count += 1
                debits.amount += Int128(line.amount)
            case .credit:
                running += Int128(line.amount)
                credits.count += 1
                credits.amount += Int128(line.amount)
            }
            guard running == line.balanceAfter else {
                throw AuditError(.inconsistentBooks, "entry \(line.sequence) of account \(accountID.lowercasedString) records balance \(line.balanceAfter) but the entries before it add up to \(running): run `ledger verify`")
            }
            try writer.line(line, of: statement, into: &buffer)
            if buffer.count >= configuration.bufferBytesMax {
                try flush()
            }
            if linesWritten % configuration.progressEveryLines == 0 {
                progress?(StatementProgress(linesWritten: linesWritten, linesTotal: statement.lineCount))
            }
        }

        mutating func finish() throws {
            guard debits == statement.debits, credits == statement.credits else {
                throw AuditError(.inconsistentBooks, "the entries of account \(statement.account.id.lowercasedString) streamed in one snapshot differ from their totals")
            }
            try writer.finish(statement, into: &buffer)
            try flush()
            progress?(StatementProgress(linesWritten: linesWritten, linesTotal: statement.lineCount))
        }

        private mutating func flush() throws {
            guard !buffer.isEmpty else { return }
            try output.write(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }
}
