import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerCore
@testable import LedgerHTTP
import LedgerStore
import LedgerTestSupport
import Logging
import Postgres
import Redis
import Testing

@Suite("RFC 3339 timestamps")
struct RFC3339Tests {
    @Test("writes UTC with microseconds")
    func formats() {
        #expect(RFC3339.format(microseconds: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC3339.format(microseconds: 1_709_251_199_123_456) == "2024-02-29T23:59:59.123456Z")
        #expect(RFC3339.format(microseconds: 253_402_300_799_999_999) == "9999-12-31T23:59:59.999999Z")
    }

    @Test("reads offsets and fractions to the microsecond")
    func parses() throws {
        let utc = try #require(RFC3339.parse("2024-02-29T23:59:59.123456Z"))
        #expect(utc.microsecondsSinceEpoch == 1_709_251_199_123_456)
        let offset = try #require(RFC3339.parse("2024-03-01T01:59:59.123456789+02:00"))
        #expect(offset.microsecondsSinceEpoch == 1_709_251_199_123_456)
        let whole = try #require(RFC3339.parse("2024-03-01T00:00:00-00:30"))
        #expect(whole.microsecondsSinceEpoch == 1_709_253_000_000_000)
        #expect(RFC3339.parse("2024-01-01t00:00:00z") != nil)
    }

    @Test("round-trips what it writes")
    func roundTrips() throws {
        for micros: Int64 in [0, 1, 999_999, 1_700_000_000_000_001, 4_102_444_800_000_000] {
            let parsed = try #require(RFC3339.parse(RFC3339.format(microseconds: micros)))
            #expect(parsed.microsecondsSinceEpoch == micros)
        }
    }

    @Test(
        "refuses anything else",
        arguments: [
            "", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567890Z", "2024-01-01T00:00:00+0200",
            "2024-01-01T00:00:00+24:00", "1969-12-31T23:59:59Z", "tomorrow", "2024-1-01T00:00:00Z", "２０２４-01-01T00:00:00Z",
        ]
    )
    func refuses(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}
