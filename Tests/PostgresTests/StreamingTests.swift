import Foundation
import Postgres
import Synchronization
import Testing

@Suite("forEachRow streams in single-row mode")
struct StreamingTests {
    @Test("200k rows of 1 kB stream through with flat memory, the first row arriving before the last is produced")
    func streamsWithoutHoldingRows() throws {
        let connection = try TestDatabase.connect()
        let rowsTotal = 200_000
        let residentBefore = Self.residentBytes()
        var residentMax = residentBefore
        var count = 0
        var sum: Int64 = 0
        var firstRowArrived: Date?
        var lastRowProduced: Date?
        try connection.forEachRow(
            "SELECT g, repeat('x', 1000), clock_timestamp() FROM generate_series(1, $1::int) AS g",
            [PostgresParameter(rowsTotal)],
            step: "stream"
        ) { row in
            count += 1
            sum += try row.int64(0)
            if count == 1 {
                firstRowArrived = Date()
            }
            if count % 10_000 == 0 {
                residentMax = max(residentMax, Self.residentBytes())
            }
            if count == rowsTotal {
                lastRowProduced = try row.date(2)
            }
        }
        #expect(count == rowsTotal)
        #expect(sum == Int64(rowsTotal) * Int64(rowsTotal + 1) / 2)
        // Holding the rows would take over 200 MB; streaming keeps growth to a few MB (the bound leaves room for tests running alongside).
        let growth = residentMax - residentBefore
        #expect(growth < 150 * 1024 * 1024, "resident memory grew by \(growth) bytes while streaming")
        let first = try #require(firstRowArrived)
        let last = try #require(lastRowProduced)
        #expect(first < last, "the first row should arrive while the server is still producing rows")
    }

    @Test("an error thrown by the body cancels the query, is rethrown unchanged, and the connection stays usable")
    func bodyErrorLeavesConnectionUsable() throws {
        struct Stop: Error, Equatable {}
        let connection = try TestDatabase.connect()
        var seen = 0
        let start = ContinuousClock.now
        #expect(throws: Stop()) {
            try connection.forEachRow("SELECT g FROM generate_series(1, 50000000) AS g", [], step: "stream") { _ in
                seen += 1
                if seen == 10 { throw Stop() }
            }
        }
        #expect(seen == 10)
        // Draining 50 million rows would take far longer; the cancel request cut it short.
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(!connection.isBroken)
        #expect(try connection.query("SELECT 7")[0].int(0) == 7)
    }

    @Test("a server error in the middle of the stream is thrown and the connection stays usable")
    func serverErrorMidStream() throws {
        let connection = try TestDatabase.connect()
        var seen = 0
        let error = try #require(throws: PostgresError.self) {
            try connection.forEachRow("SELECT 10 / (5 - g) FROM generate_series(1, 10) AS g", [], step: "stream") { _ in
                seen += 1
            }
        }
        #expect(error.sqlState == "22012")
        #expect(error.step == "stream")
        #expect(seen == 4)
        #expect(try connection.query("SELECT 8")[0].int(0) == 8)
    }

    /// The process's resident set size from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
