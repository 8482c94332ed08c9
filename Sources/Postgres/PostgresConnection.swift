import CLibPQ
public import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection (`PGconn`), owned by exactly one Swift object and finished in `deinit`.
///
/// Every call blocks its thread, so a connection belongs on a thread pool (the pool runs callers'
/// closures on its own threads). It is not `Sendable`: one thread uses it at a time, and the pool
/// or a single owner guarantees that.
///
/// Every statement is sent with its values out of band (`PQexecParams`), in text format.
/// Every `PGresult` is cleared on every path: results are handed straight to `consume(_:step:)`,
/// which copies them into Swift values and clears them in a `defer`.
public final class PostgresConnection {
    let handle: OpaquePointer
    let logger: Logger
    /// The longest a socket wait in pipeline mode may take before the connection is given up.
    let socketWaitTimeout: Duration
    /// Keeps the logger alive for libpq's notice callback, which holds a raw pointer to it.
    private let noticeSink: NoticeSink
    /// Set when the connection is in a state that cannot be recovered (a broken pipeline, a
    /// failed ROLLBACK, a socket timeout); the pool then replaces it.
    private(set) var brokenReason: String?
    /// The last error the server reported, so that a transaction whose body swallowed a
    /// serialization failure still reports (and retries on) that failure at COMMIT.
    var lastServerError: PostgresError?
    /// The BEGIN of a pipelined transaction, not sent yet: it goes out in front of the body's
    /// first statements, saving a round trip (`PostgresPool.withTransaction(pipelined:)`).
    var deferredBegin: IsolationLevel?
    /// While a transaction body runs (`runTransaction`): whether a pipeline has ended the
    /// transaction with its own COMMIT. Nil outside a body, where a COMMIT in a pipeline ends
    /// the caller's own transaction and statements after it are the caller's business.
    var committedInPipeline: Bool?
    /// Statements prepared on this session, by SQL text (`pipeline(_:step:prepared:)`).
    var preparedStatements: [String: String] = [:]
    /// Names handed out so far; a name is never reused, so a prepare that failed or was rolled
    /// back cannot collide with a later one.
    var preparedNamesIssued = 0

    /// Opens a connection, blocking for at most `configuration.connectTimeout`, and sets the
    /// session up so that values have one text form: UTC time zone, ISO dates, hex bytea.
    public init(url: String, configuration: PostgresConfiguration, logger: Logger) throws(PostgresError) {
        let connectTimeoutSeconds = max(2, (configuration.connectTimeout.millisecondsRoundedUp + 999) / 1000)
        // Defaults come before the URL so that a URL that sets them wins; the URL is expanded
        // in place of `dbname` (expand_dbname = 1).
        let parameters: [(String, String)] = [
            ("connect_timeout", String(connectTimeoutSeconds)),
            ("client_encoding", "UTF8"),
            ("keepalives", "1"),
            ("keepalives_idle", "30"),
            ("keepalives_interval", "10"),
            ("keepalives_count", "3"),
            ("fallback_application_name", configuration.applicationName),
            ("dbname", url),
        ]
        let connection = Self.withCStringArray(parameters.map(\.0)) { keywords in
            Self.withCStringArray(parameters.map(\.1)) { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let connection else {
            throw PostgresError(kind: .connect, message: "libpq could not allocate a connection", step: "connect")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.libpqMessage(connection) ?? "connection failed"
            PQfinish(connection)
            throw PostgresError(kind: .connect, message: message, step: "connect")
        }
        self.handle = connection
        self.logger = logger
        self.socketWaitTimeout = (configuration.statementTimeout ?? .seconds(300)) + .seconds(30)
        self.noticeSink = NoticeSink(logger: logger)
        PQsetNoticeReceiver(connection, noticeReceiver, Unmanaged.passUnretained(self.noticeSink).toOpaque())

        // Only integers are formatted into this text; nothing here comes from a caller.
        let statementTimeoutMs = configuration.statementTimeout?.millisecondsRoundedUp ?? 0
        let idleInTransactionTimeoutMs = configuration.idleInTransactionTimeout?.millisecondsRoundedUp ?? 0
        do throws(PostgresError) {
            try self.execute(
                """
                SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601';
                SET bytea_output = 'hex'; SET statement_timeout = \(statementTimeoutMs);
                SET idle_in_transaction_session_timeout = \(idleInTransactionTimeoutMs)
                """,
                step: "connect"
            )
        } catch {
            throw PostgresError(
                kind: .connect, sqlState: error.sqlState, message: error.message, detail: error.detail, step: "connect")
        }
        logger.debug("database connection opened", metadata: ["db.backend_pid": "\(PQbackendPID(connection))"])
    }

    deinit {
        PQfinish(self.handle)
    }

    /// True when the connection is lost or in a state the library cannot recover from.
    public var isBroken: Bool {
        self.brokenReason != nil || self.noticeSink.fatalMessage != nil || PQstatus(self.handle) != CONNECTION_OK
    }

    /// The server process serving this connection (`pg_backend_pid()`).
    public var backendPID: Int32 {
        PQbackendPID(self.handle)
    }

    /// The server's version as an integer, for example 150008 for 15.8.
    public var serverVersion: Int {
        Int(PQserverVersion(self.handle))
    }

    /// Runs one statement with its parameters bound out of band (extended protocol, text format)
    /// and returns all its rows.
    @discardableResult
    public func query(
        _ sql: String,
        _ parameters: [PostgresParameter] = [],
        step: String = "query"
    ) throws(PostgresError) -> PostgresRows {
        try self.readyForStatement(step: step)
        let result = try self.withParameterValues(parameters, step: step) { count, values, lengths, formats in
            PQexecParams(self.handle, sql, count, nil, values, lengths, formats, 0)
        }
        return try self.consume(result, step: step)
    }

    /// Runs SQL through the simple protocol: it may hold several statements separated by
    /// semicolons (migrations) but takes no parameters. Stops at the first failing statement.
    public func execute(_ sql: String, step: String) throws(PostgresError) {
        try self.readyForStatement(step: step)
        _ = try self.consume(PQexec(self.handle, sql), step: step)
    }

    /// Marks the connection as unusable; the pool closes it instead of handing it out again.
    func markBroken(_ reason: String) {
        if self.brokenReason == nil {
            self.brokenReason = reason
            self.logger.warning("database connection unusable", metadata: ["db.reason": "\(reason)"])
        }
    }

    /// `checkUsable`, then the deferred BEGIN of a pipelined transaction if the body's first
    /// statement is not a pipeline.
    func readyForStatement(step: String) throws(PostgresError) {
        try self.checkUsable(step: step)
        if let isolation = self.deferredBegin {
            self.deferredBegin = nil
            _ = try self.consume(PQexec(self.handle, isolation.beginStatement), step: "begin")
        }
    }

    func checkUsable(step: String) throws(PostgresError) {
        guard !self.isBroken else {
            throw PostgresError(
                kind: .connectionLost,
                message: self.brokenReason ?? self.noticeSink.fatalMessage ?? Self.libpqMessage(self.handle)
                    ?? "connection is closed",
                step: step
            )
        }
        // A statement after the COMMIT would run outside the transaction, and if it then failed
        // with a serialization error the pool would run the whole body, and so its committed
        // writes, a second time. Not retryable, so the body ends here with nothing repeated.
        guard self.committedInPipeline != true else {
            throw PostgresError(
                kind: .server,
                message: "the transaction has already committed in a pipeline; nothing may follow its COMMIT",
                step: step
            )
        }
    }

    /// Passes parameters to libpq from one buffer that lives for the call: text ones as
    /// NUL-terminated strings, binary ones with their lengths and format 1. Text with an embedded
    /// NUL cannot be sent in text format, and Postgres stores no NUL in text either, so it is
    /// refused with the SQLSTATE the server would use. `body` gets the count, the values, and the
    /// lengths and formats (nil when every parameter is text).
    func withParameterValues<Result>(
        _ parameters: [PostgresParameter],
        step: String,
        _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> Result
    ) throws(PostgresError) -> Result {
        guard parameters.count <= Self.parametersMax else {
            throw PostgresError(
                kind: .server, sqlState: "54000",
                message: "\(parameters.count) parameters exceed the protocol's limit of \(Self.parametersMax)", step: step)
        }
        if parameters.isEmpty {
            return body(0, nil, nil, nil)
        }
        var storage: [UInt8] = []
        storage.reserveCapacity(parameters.reduce(1) { $0 + ($1.binary?.count ?? $1.text?.utf8.count ?? 0) + 1 })
        var offsets: [Int?] = []
        offsets.reserveCapacity(parameters.count)
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var anyBinary = false
        for (index, parameter) in parameters.enumerated() {
            if let binary = parameter.binary {
                guard binary.count <= Int(Int32.max) else {
                    throw PostgresError(
                        kind: .server, sqlState: "54000", message: "parameter $\(index + 1) is too large to send", step: step)
                }
                offsets.append(storage.count)
                storage.append(contentsOf: binary)
                lengths.append(Int32(binary.count))
                formats.append(1)
                anyBinary = true
                continue
            }
            lengths.append(0)
            formats.append(0)
            guard let text = parameter.text else {
                offsets.append(nil)
                continue
            }
            offsets.append(storage.count)
            // Whole-buffer appends: array parameters of a full batch run to megabytes.
            let start = storage.count
            storage.append(contentsOf: text.utf8)
            if storage[start...].contains(0) {
                throw PostgresError(
                    kind: .server, sqlState: SQLState.characterNotInRepertoire,
                    message: "parameter $\(index + 1) contains a NUL character", step: step)
            }
            storage.append(0)
        }
        // Never empty, so that the buffer has an address even when every value is empty binary.
        storage.append(0)
        return storage.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { buffer in
                let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                    offset.map { buffer.baseAddress! + $0 }
                }
                return pointers.withUnsafeBufferPointer { values in
                    guard anyBinary else {
                        return body(Int32(parameters.count), values.baseAddress, nil, nil)
                    }
                    return lengths.withUnsafeBufferPointer { lengths in
                        formats.withUnsafeBufferPointer { formats in
                            body(Int32(parameters.count), values.baseAddress, lengths.baseAddress, formats.baseAddress)
                        }
                    }
                }
            }
        }
    }

    static let parametersMax = 65_535

    static func libpqMessage(_ connection: OpaquePointer) -> String? {
        guard let message = PQerrorMessage(connection) else { return nil }
        let text = String(cString: message).trimmingTrailingWhitespace
        return text.isEmpty ? nil : text
    }

    /// Calls `body` with a NULL-terminated array of C strings that live for the call.
    private static func withCStringArray<Result>(
        _ strings: [String],
        _ body: ([UnsafePointer<CChar>?]) -> Result
    ) -> Result {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return body(copies.map { $0.map { UnsafePointer($0) } } + [nil])
    }
}

/// Receives libpq's notices (for example "table … does not exist, skipping") so that they go to
/// the logger instead of stderr. libpq also passes here an error that arrives while the
/// connection is idle: that is the server saying why it is about to close the session (FATAL,
/// for example 57P01 after pg_terminate_backend or a shutdown), so it marks the connection dead.
private final class NoticeSink {
    let logger: Logger
    var fatalMessage: String?

    init(logger: Logger) {
        self.logger = logger
    }
}

private func noticeReceiver(_ context: UnsafeMutableRawPointer?, _ result: OpaquePointer?) {
    guard let context, let result else { return }
    let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
    func field(_ code: Unicode.Scalar) -> String {
        PQresultErrorField(result, Int32(code.value)).map { String(cString: $0) } ?? ""
    }
    let severity = field("V")
    if severity == "FATAL" || severity == "PANIC" {
        sink.fatalMessage = field("M")
        sink.logger.info(
            "database server is closing the connection",
            metadata: ["db.sqlstate": "\(field("C"))", "db.message": "\(field("M"))"])
    } else {
        sink.logger.debug("database notice", metadata: ["db.severity": "\(severity)", "db.notice": "\(field("M"))"])
    }
}

extension String {
    var trimmingTrailingWhitespace: String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace {
            text.removeLast()
        }
        return String(text)
    }
}
