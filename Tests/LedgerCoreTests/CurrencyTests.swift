import LedgerCore
import PropertyBased
import Testing

@Suite("Currency codes and minor units")
struct CurrencyTests {
    @Test("codes matching ^[A-Z][A-Z0-9]{2,11}$ are accepted", arguments: ["USD", "EUR", "JPY", "XAU", "A12", "POINTS", "ABCDEFGHIJKL", "B2B"])
    func accepted(code: String) throws {
        let currency = try #require(Currency(code))
        #expect(currency.code == code)
        #expect(currency.description == code)
    }

    @Test("other codes are refused", arguments: ["", "US", "usd", "Usd", "1AB", "ABCDEFGHIJKLM", "US D", "ÜSD", "USD\n", "U-S", "_AB", "ＵＳＤ"])
    func refused(code: String) {
        #expect(Currency(code) == nil)
    }

    @Test("ISO 4217 codes carry their minor units; every other code has two")
    func minorUnits() throws {
        let expected: [String: Int] = [
            "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0,
            "BHD": 3, "KWD": 3, "OMR": 3, "TND": 3, "JOD": 3, "CLF": 4, "UYW": 4,
            "POINTS": 2, "XYZ": 2, "MILES2024": 2,
        ]
        for (code, units) in expected {
            #expect(try #require(Currency(code)).minorUnits == units, "\(code)")
        }
    }

    @Test("currencies order by code")
    func ordering() throws {
        let codes = ["USD", "EUR", "JPY", "AUD"]
        let sorted = try codes.map { try #require(Currency($0)) }.sorted().map(\.code)
        #expect(sorted == ["AUD", "EUR", "JPY", "USD"])
    }

    @Test("a generated string is a currency exactly when it matches the pattern")
    func matchesPattern() throws {
        let pattern = try Regex("^[A-Z][A-Z0-9]{2,11}$")
        let runner = PropertyRunner.fromEnvironment(iterationsDefault: 2_000)
        let coverage = runner.check(
            "currency pattern",
            input: Gen.character(in: "/"..."a").string(of: 0...14),
            shrink: { code in code.isEmpty ? [] : [String(code.dropFirst()), String(code.dropLast())] },
            describe: { "\"\($0)\"" },
            property: { code, coverage in
                let matches = code.wholeMatch(of: pattern) != nil
                coverage.count(matches ? "valid" : "invalid")
                return (Currency(code) != nil) == matches ? [] : ["Currency(\"\(code)\") disagrees with the pattern (matches: \(matches))"]
            }
        )
        if runner.onlyCase == nil, runner.iterations >= 200 {
            #expect(coverage["valid"] > 0)
            #expect(coverage["invalid"] > 0)
        }
    }
}
