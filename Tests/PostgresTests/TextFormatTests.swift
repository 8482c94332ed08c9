import Foundation
import Testing

@testable import Postgres

@Suite("text forms, without a server")
struct TextFormatTests {
    @Test("timestamps encode as UTC ISO 8601 with microseconds")
    func encodeTimestamps() {
        #expect(TimestampText.encode(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(TimestampText.encode(Date(timeIntervalSince1970: 1_700_000_000.123456)) == "2023-11-14T22:13:20.123456Z")
        #expect(TimestampText.encode(Date(timeIntervalSince1970: -0.000001)) == "1969-12-31T23:59:59.999999Z")
        #expect(TimestampText.encode(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000000Z")
    }

    @Test("timestamps decode from Postgres' ISO output and common variants")
    func decodeTimestamps() throws {
        let cases: [(String, Int64)] = [
            ("2023-11-14 22:13:20.123456+00", 1_700_000_000_123_456),
            ("2023-11-14 22:13:20+00", 1_700_000_000_000_000),
            ("2023-11-14 22:13:20.5+00", 1_700_000_000_500_000),
            ("2023-11-15 03:43:20.123456+05:30", 1_700_000_000_123_456),
            ("2023-11-14 14:13:20-08", 1_700_000_000_000_000),
            ("2023-11-14T22:13:20.123456Z", 1_700_000_000_123_456),
            ("1969-12-31 23:59:59.999999+00", -1),
        ]
        for (text, micros) in cases {
            let date = try #require(TimestampText.decode(text), "\(text)")
            #expect(TimestampText.microseconds(date) == micros, "\(text)")
        }
        for bad in ["", "infinity", "2023-13-01 00:00:00+00", "2023-11-14", "2023-11-14 22:13:20+00 junk", "20231114 221320"] {
            #expect(TimestampText.decode(bad) == nil, "\(bad)")
        }
    }

    @Test("civil dates and day counts agree across eras")
    func civilRoundTrip() {
        for days in stride(from: Int64(-1_000_000), through: 1_000_000, by: 997) {
            let (year, month, day) = TimestampText.civil(daysSinceEpoch: days)
            #expect(TimestampText.daysSinceEpoch(year: year, month: month, day: day) == days)
        }
    }

    @Test("array literals quote every element and escape quotes and backslashes")
    func arrayLiterals() {
        #expect(PostgresParameter.array(["a", nil, "b,c", "q\"uote", "back\\slash", "NULL", ""]).text
            == #"{"a",NULL,"b,c","q\"uote","back\\slash","NULL",""}"#)
        #expect(PostgresParameter.array([Int64]()).text == "{}")
        #expect(PostgresParameter.array([Int64(-1), 2]).text == "{-1,2}")
        // Byte strings go in binary: one dimension, no NULLs, bytea's OID 17, length 1 from 1,
        // then the element's length and bytes.
        let bytea = PostgresParameter.array(bytes: [[0xab, 0x01]])
        #expect(bytea.text == nil)
        #expect(bytea.binary == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xab, 0x01])
        #expect(PostgresParameter.array(bytes: []).binary == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17])
    }

    @Test("bytea hex text round-trips and rejects malformed text")
    func bytea() {
        #expect(ByteaText.encode([0x00, 0xff, 0x10]) == "\\x00ff10")
        #expect(ByteaText.decode("\\x00FF10") == [0x00, 0xff, 0x10])
        #expect(ByteaText.decode("\\x") == [])
        #expect(ByteaText.decode("\\x0") == nil)
        #expect(ByteaText.decode("00ff") == nil)
        #expect(ByteaText.decode("\\xzz") == nil)
    }

    @Test("parameters never print their values")
    func descriptionHidesValues() {
        #expect("\(PostgresParameter("secret"))" == "<parameter>")
        #expect("\(PostgresParameter.null)" == "NULL")
    }
}
