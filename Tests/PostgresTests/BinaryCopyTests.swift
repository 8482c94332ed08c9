import Foundation
import Postgres
import Testing

@Suite("Binary COPY FROM STDIN")
struct BinaryCopyTests {
    /// Integers at the edges of base-10,000 digits, of the 39-digit column and of Int128, and
    /// a deterministic spread of magnitudes between.
    static let numerics: [Int128] = {
        var values: [Int128] = [0, 1, -1, 9_999, 10_000, 10_001, -10_000, 100_000_000, 1_0000_0000_0001, Int128.max, Int128.min + 1]
        var power: Int128 = 1
        for _ in 0..<38 {
            power *= 10
            values.append(power)
            values.append(power - 1)
            values.append(-(power + 7))
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<200 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let high = Int128(Int64(bitPattern: state)) >> Int(state % 64)
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(high &* Int128(1 << 40) &+ Int128(state >> 24))
        }
        return values
    }()

    @Test("every field type survives the round trip, NULLs included, as the text forms say")
    func roundTrip() throws {
        try TestDatabase.withTable(
            prefix: "bincopy", columns: "k bigint, u uuid, i int, f bool, t text, d timestamptz, n numeric(39, 0), y bytea"
        ) { connection, table in
            let id = UUID()
            let dates = [Date(timeIntervalSince1970: 1_700_000_000.123_456), Date(timeIntervalSince1970: 631_152_000.5), Date(timeIntervalSince1970: 0)]
            var stream = PostgresBinaryCopy(columnCount: 8)
            for (index, value) in Self.numerics.enumerated() {
                stream.beginRow()
                stream.append(Int64(index))
                stream.append(id)
                stream.append(Int32(index) - 100)
                stream.append(index % 2 == 0)
                stream.append(index == 0 ? "tab\there, \"quoted\" ✓" : "row \(index)")
                stream.append(dates[index % dates.count])
                stream.append(numeric: value)
                stream.append(bytes: index == 0 ? [] : [UInt8(index % 256), 0, 255])
            }
            stream.beginRow()
            stream.append(Int64(-1))
            for _ in 0..<7 { stream.appendNull() }
            #expect(stream.rowCount == Self.numerics.count + 1)

            let copied = try connection.copyIn("COPY \(table) FROM STDIN (FORMAT binary)", data: stream.finish())
            #expect(copied == Self.numerics.count + 1)

            let rows = try connection.query("SELECT k, u::text, i, f, t, d, n::text, y FROM \(table) ORDER BY k")
            #expect(rows.count == Self.numerics.count + 1)
            let nulls = rows[0]
            #expect(try nulls.int64(0) == -1)
            #expect((1..<8).allSatisfy { nulls.isNull($0) })
            for (index, value) in Self.numerics.enumerated() {
                let row = rows[index + 1]
                #expect(try row.int64(0) == Int64(index))
                #expect(try row.string(1) == id.uuidString.lowercased())
                #expect(try row.int(2) == index - 100)
                #expect(try row.bool(3) == (index % 2 == 0))
                #expect(try row.string(4) == (index == 0 ? "tab\there, \"quoted\" ✓" : "row \(index)"))
                let expected = (dates[index % dates.count].timeIntervalSince1970 * 1_000_000).rounded()
                #expect((try row.date(5).timeIntervalSince1970 * 1_000_000).rounded() == expected)
                #expect(try row.string(6) == String(value), "numeric \(value)")
                #expect(try row.bytes(7) == (index == 0 ? [] : [UInt8(index % 256), 0, 255]))
            }
        }
    }

    @Test("a COPY streamed in chunks stores every row; the first chunk carries the header, the last the trailer")
    func streamed() throws {
        try TestDatabase.withTable(prefix: "bincopystream", columns: "k bigint, t text") { connection, table in
            let rowsTotal = 50_000
            let rowsPerChunk = 1_000
            var stream = PostgresBinaryCopy(columnCount: 2)
            var next = 0
            var chunks = 0
            var finished = false
            let copied = try connection.copyIn("COPY \(table) FROM STDIN (FORMAT binary)") {
                guard !finished else { return nil }
                chunks += 1
                for _ in 0..<min(rowsPerChunk, rowsTotal - next) {
                    stream.beginRow()
                    stream.append(Int64(next))
                    stream.append("value \(next)")
                    next += 1
                }
                guard next == rowsTotal else { return stream.takeBytes() }
                finished = true
                return stream.finish()
            }
            #expect(copied == rowsTotal)
            #expect(chunks == rowsTotal / rowsPerChunk)
            let summary = try connection.query("SELECT count(*), sum(k), max(t) FILTER (WHERE k = 49999) FROM \(table)")[0]
            #expect(try summary.int(0) == rowsTotal)
            #expect(try summary.int64(1) == Int64(rowsTotal * (rowsTotal - 1) / 2))
            #expect(try summary.string(2) == "value 49999")
        }
    }

    @Test("rows that do not fit the table fail with the server's SQLSTATE, store nothing, and leave the connection usable")
    func refused() throws {
        try TestDatabase.withTable(prefix: "bincopybad", columns: "k bigint CHECK (k > 0)") { connection, table in
            var wrongShape = PostgresBinaryCopy(columnCount: 2)
            wrongShape.beginRow()
            wrongShape.append(Int64(1))
            wrongShape.append(Int64(2))
            let shapeError = try #require(throws: PostgresError.self) {
                try connection.copyIn("COPY \(table) FROM STDIN (FORMAT binary)", data: wrongShape.finish(), step: "load")
            }
            #expect(shapeError.kind == .server)
            #expect(shapeError.sqlState == "22P04")
            #expect(shapeError.step == "load")

            var violating = PostgresBinaryCopy(columnCount: 1)
            for k: Int64 in [3, 2, 1, 0] {
                violating.beginRow()
                violating.append(k)
            }
            let checkError = try #require(throws: PostgresError.self) {
                try connection.copyIn("COPY \(table) FROM STDIN (FORMAT binary)", data: violating.finish())
            }
            #expect(checkError.sqlState == SQLState.checkViolation)
            #expect(!connection.isBroken)
            #expect(try connection.query("SELECT count(*) FROM \(table)")[0].int(0) == 0)
        }
    }

    @Test("a backend that dies part-way through a streamed COPY fails it with connectionLost; nothing is stored")
    func backendLostMidCopy() throws {
        try TestDatabase.withTable(prefix: "bincopylost", columns: "k bigint") { connection, table in
            let victim = try TestDatabase.connect()
            let killer = try TestDatabase.connect()
            var stream = PostgresBinaryCopy(columnCount: 1)
            var chunks = 0
            let error = try #require(throws: PostgresError.self) {
                _ = try victim.copyIn("COPY \(table) FROM STDIN (FORMAT binary)") {
                    chunks += 1
                    if chunks == 2 {
                        // The first chunk is on its way; the session ends before the rest.
                        _ = try? killer.query("SELECT pg_terminate_backend($1::int)", [PostgresParameter(Int(victim.backendPID))])
                        try? ConnectionTests.waitUntilGone(victim.backendPID, using: killer)
                    }
                    if chunks == 22 { return nil }
                    if chunks == 21 { return stream.finish() }
                    for k in 0..<1_000 {
                        stream.beginRow()
                        stream.append(Int64(chunks * 1_000 + k))
                    }
                    return stream.takeBytes()
                }
            }
            #expect(error.kind == .connectionLost)
            #expect(victim.isBroken)
            #expect(try connection.query("SELECT count(*) FROM \(table)")[0].int(0) == 0)
        }
    }
}
