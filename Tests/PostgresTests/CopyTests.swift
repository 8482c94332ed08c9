import Postgres
import Testing

@Suite("COPY FROM STDIN")
struct CopyTests {
    @Test("copies text-format rows, including NULLs, escapes and more data than one chunk")
    func copiesRows() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueTableName("copy")
        try connection.execute("CREATE TABLE \(table) (id int, name text, data bytea)", step: "setup")
        defer { _ = try? connection.execute("DROP TABLE \(table)", step: "cleanup") }
        var text = "1\tbob\t\\\\x0102\n2\t\\N\t\\N\n3\ttab\\there ✓\t\\\\x\n"
        for id in 4...20_000 {
            text += "\(id)\tname-\(id)\t\\N\n"
        }
        let copied = try connection.copyIn("COPY \(table) (id, name, data) FROM STDIN", data: Array(text.utf8))
        #expect(copied == 20_000)
        let rows = try connection.query("SELECT id, name, data FROM \(table) WHERE id <= 3 ORDER BY id")
        #expect(try rows[0].string(1) == "bob")
        #expect(try rows[0].bytes(2) == [1, 2])
        #expect(rows[1].isNull(1))
        #expect(rows[1].isNull(2))
        #expect(try rows[2].string(1) == "tab\there ✓")
        #expect(try rows[2].bytes(2) == [])
        #expect(try connection.query("SELECT count(*) FROM \(table)")[0].int(0) == 20_000)
    }

    @Test("bad data fails with the server's SQLSTATE, copies nothing, and leaves the connection usable")
    func badData() throws {
        let connection = try TestDatabase.connect()
        let table = TestDatabase.uniqueTableName("copybad")
        try connection.execute("CREATE TABLE \(table) (id int)", step: "setup")
        defer { _ = try? connection.execute("DROP TABLE \(table)", step: "cleanup") }
        let error = try #require(throws: PostgresError.self) {
            try connection.copyIn("COPY \(table) FROM STDIN", data: Array("1\nnot a number\n3\n".utf8), step: "load")
        }
        #expect(error.kind == .server)
        #expect(error.sqlState == SQLState.invalidTextRepresentation)
        #expect(error.step == "load")
        #expect(!connection.isBroken)
        #expect(try connection.query("SELECT count(*) FROM \(table)")[0].int(0) == 0)
    }

    @Test("a statement that is not COPY FROM STDIN is refused with kind copy")
    func notCopy() throws {
        let connection = try TestDatabase.connect()
        let error = try #require(throws: PostgresError.self) { try connection.copyIn("SELECT 1", data: []) }
        #expect(error.kind == .copy)
        let failing = try #require(throws: PostgresError.self) { try connection.copyIn("COPY no_such_table_here FROM STDIN", data: []) }
        #expect(failing.sqlState == SQLState.undefinedTable)
        #expect(try connection.query("SELECT 1")[0].int(0) == 1)
    }
}
