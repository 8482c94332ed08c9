import Foundation
import Postgres
import Testing

@Suite("parameters and row decoding round-trip through a real server")
struct ParameterTests {
    static let awkwardStrings = [
        "", "plain", "with,comma", "with \"double\" quotes", "back\\slash", "trailing\\", "{braces}", "NULL", "null",
        " spaced ", "unicode ✓ 日本語 🎉 é", "new\nline\ttab", "'single'", "\"", "\\\"", ",", "{}", "a\u{7f}b",
    ]

    @Test("text values survive unchanged")
    func text() throws {
        let connection = try TestDatabase.connect()
        for value in Self.awkwardStrings {
            let rows = try connection.query("SELECT $1::text, length($1::text)", [PostgresParameter(value)])
            #expect(try rows[0].string(0) == value)
            #expect(try rows[0].int(1) == value.count)
        }
    }

    @Test("text arrays keep quotes, commas, backslashes, braces, NULL elements and unicode")
    func textArray() throws {
        let connection = try TestDatabase.connect()
        let values: [String?] = Self.awkwardStrings.map { Optional($0) } + [nil, "after null", nil]
        let rows = try connection.query(
            "SELECT v, v IS NULL FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n",
            [.array(values)]
        )
        #expect(rows.count == values.count)
        for (row, expected) in zip(rows, values) {
            #expect(row.optionalString(0) == expected)
            #expect(try row.bool(1) == (expected == nil))
        }
        let empty = try connection.query("SELECT cardinality($1::text[])", [.array([String?]())])
        #expect(try empty[0].int(0) == 0)
    }

    @Test("NULL in every spelling is NULL")
    func nulls() throws {
        let connection = try TestDatabase.connect()
        let rows = try connection.query(
            "SELECT $1::text IS NULL, $2::bigint IS NULL, $3::text", [.null, nil, PostgresParameter(nil as String?)])
        #expect(try rows[0].bool(0))
        #expect(try rows[0].bool(1))
        #expect(rows[0].isNull(2))
        #expect(rows[0].optionalString(2) == nil)
        #expect(try rows[0].optionalInt64(2) == nil)
        #expect(throws: PostgresError.self) { try rows[0].string(2) }
    }

    @Test("integers at their extremes")
    func integers() throws {
        let connection = try TestDatabase.connect()
        for value in [Int64.min, -1, 0, 1, Int64.max] {
            let rows = try connection.query("SELECT $1::bigint", [PostgresParameter(value)])
            #expect(try rows[0].int64(0) == value)
        }
        let rows = try connection.query("SELECT $1::int, $2::bigint, $3::int", [PostgresParameter(Int(42)), 7, PostgresParameter(Int32.min)])
        #expect(try rows[0].int(0) == 42)
        #expect(try rows[0].int64(1) == 7)
        #expect(try rows[0].int(2) == Int(Int32.min))
    }

    @Test("Int128 extremes survive NUMERIC, also as arrays and with a zero scale")
    func int128() throws {
        let connection = try TestDatabase.connect()
        let values: [Int128] = [.min, .min + 1, -1, 0, 1, Int128(Int64.max) + 1, .max - 1, .max]
        for value in values {
            let rows = try connection.query("SELECT $1::numeric, ($1::numeric)::numeric(60,3), $1::numeric::text", [PostgresParameter(value)])
            #expect(try rows[0].int128(0) == value)
            #expect(try rows[0].int128(1) == value)
            #expect(try rows[0].string(2) == String(value))
        }
        let rows = try connection.query(
            "SELECT v FROM unnest($1::numeric[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [.array(values)])
        #expect(try rows.map { try $0.int128(0) } == values)
        let fractional = try connection.query("SELECT 1.5::numeric, (2::numeric ^ 127)::numeric(60,0)")
        #expect(throws: PostgresError.self) { try fractional[0].int128(0) }
        #expect(throws: PostgresError.self) { try fractional[0].int128(1) }
    }

    @Test("booleans")
    func booleans() throws {
        let connection = try TestDatabase.connect()
        let rows = try connection.query("SELECT $1::bool, $2::bool, NOT $1::bool", [PostgresParameter(true), PostgresParameter(false)])
        #expect(try rows[0].bool(0) == true)
        #expect(try rows[0].bool(1) == false)
        #expect(try rows[0].bool(2) == false)
        let array = try connection.query("SELECT v FROM unnest($1::bool[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [.array([true, false, true])])
        #expect(try array.map { try $0.bool(0) } == [true, false, true])
    }

    @Test("UUIDs, alone and in arrays")
    func uuids() throws {
        let connection = try TestDatabase.connect()
        let values = (0..<5).map { _ in UUID() }
        let rows = try connection.query("SELECT $1::uuid, $1::uuid::text", [PostgresParameter(values[0])])
        #expect(try rows[0].uuid(0) == values[0])
        #expect(try rows[0].string(1) == values[0].uuidString.lowercased())
        let array = try connection.query("SELECT v FROM unnest($1::uuid[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [.array(values)])
        #expect(try array.map { try $0.uuid(0) } == values)
        let nullRow = try connection.query("SELECT NULL::uuid")
        #expect(try nullRow[0].optionalUUID(0) == nil)
    }

    @Test("timestamps keep microseconds, and the server reads them as UTC instants")
    func timestamps() throws {
        let connection = try TestDatabase.connect()
        let instant = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let rows = try connection.query(
            "SELECT $1::timestamptz, $1::timestamptz = '2023-11-14 22:13:20.123456+00'::timestamptz, $1::timestamptz::text",
            [PostgresParameter(instant)]
        )
        #expect(try Self.micros(rows[0].date(0)) == Self.micros(instant))
        #expect(try rows[0].bool(1))
        #expect(try rows[0].string(2) == "2023-11-14 22:13:20.123456+00")

        let samples: [Date] = [
            Date(timeIntervalSince1970: 0),
            Date(timeIntervalSince1970: -0.000001),
            Date(timeIntervalSince1970: -86_400 * 365.25 * 30 + 0.5),
            Date(timeIntervalSince1970: 951_782_400.000001),  // 2000-02-29
            Date(timeIntervalSince1970: 4_102_444_799.999999),  // 2099-12-31 23:59:59.999999
            Date(timeIntervalSince1970: 1_700_000_000.999999),
        ]
        for sample in samples {
            let row = try connection.query("SELECT $1::timestamptz", [PostgresParameter(sample)])[0]
            #expect(try Self.micros(row.date(0)) == Self.micros(sample), "\(sample)")
        }
        let array = try connection.query(
            "SELECT v FROM unnest($1::timestamptz[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [.array(samples)])
        #expect(try array.map { try Self.micros($0.date(0)) } == samples.map(Self.micros))

        // Before year 1 Postgres writes "BC"; whole seconds are all a Double holds that far back.
        let ancient = try connection.query("SELECT '0044-03-15 12:00:00+00 BC'::timestamptz")[0]
        let ancientDate = try ancient.date(0)
        let echoed = try connection.query("SELECT $1::timestamptz::text", [PostgresParameter(ancientDate)])[0]
        #expect(try echoed.string(0) == "0044-03-15 12:00:00+00 BC")
        #expect(try connection.query("SELECT NULL::timestamptz")[0].optionalDate(0) == nil)
    }

    @Test("bytea: every byte value, empty, and arrays")
    func bytes() throws {
        let connection = try TestDatabase.connect()
        let all = (0...255).map { UInt8($0) }
        let rows = try connection.query("SELECT $1::bytea, length($1::bytea), $2::bytea", [PostgresParameter(bytes: all), PostgresParameter(bytes: [])])
        #expect(try rows[0].bytes(0) == all)
        #expect(try rows[0].int(1) == 256)
        #expect(try rows[0].bytes(2) == [])
        let values: [[UInt8]] = [[0, 1, 2], [], [0x5c, 0x22, 0x2c, 0x7b, 0x7d], all]
        let array = try connection.query(
            "SELECT v FROM unnest($1::bytea[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [.array(bytes: values)])
        #expect(try array.map { try $0.bytes(0) } == values)
        #expect(try connection.query("SELECT NULL::bytea")[0].optionalBytes(0) == nil)
    }

    @Test("bigint arrays")
    func int64Array() throws {
        let connection = try TestDatabase.connect()
        let values: [Int64] = [.min, -5, 0, 5, .max]
        let rows = try connection.query("SELECT v FROM unnest($1::bigint[]) WITH ORDINALITY AS t(v, n) ORDER BY n", [.array(values)])
        #expect(try rows.map { try $0.int64(0) } == values)
    }

    @Test("a value that is not of the requested type is a decode error naming the column, not the value")
    func decodeErrors() throws {
        let connection = try TestDatabase.connect()
        let row = try connection.query("SELECT 'secret-value'::text")[0]
        let error = try #require(throws: PostgresError.self) { try row.int64(0) }
        #expect(error.kind == .decode)
        #expect(!error.description.contains("secret-value"))
        #expect(throws: PostgresError.self) { try row.uuid(0) }
        #expect(throws: PostgresError.self) { try row.date(0) }
        #expect(throws: PostgresError.self) { try row.bytes(0) }
        #expect(throws: PostgresError.self) { try row.bool(0) }
    }

    @Test("a NUL character in a parameter is refused before it reaches the server")
    func nulCharacter() throws {
        let connection = try TestDatabase.connect()
        let error = try #require(throws: PostgresError.self) {
            try connection.query("SELECT $1::text", [PostgresParameter("a\u{0}b")])
        }
        #expect(error.sqlState == SQLState.characterNotInRepertoire)
        #expect(try connection.query("SELECT 1")[0].int(0) == 1)
    }

    @Test("column names, affected rows and command tags are reported")
    func metadata() throws {
        let connection = try TestDatabase.connect()
        let rows = try connection.query("SELECT 1 AS one, 2 AS two FROM generate_series(1, 3)")
        #expect(rows.columnNames == ["one", "two"])
        #expect(rows.columnIndex("two") == 1)
        #expect(rows.affectedRows == 3)
        #expect(rows.commandTag == "SELECT 3")
    }

    static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }
}
