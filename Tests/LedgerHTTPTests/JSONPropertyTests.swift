import HTTPTypes
@testable import LedgerHTTP
import LedgerCore
import PropertyBased
import Testing

/// Whatever bytes arrive, the parser and the decoders answer with a value or a typed refusal:
/// never a crash, and never a value whose canonical form does not read back to itself.
@Suite("JSON parsing and decoding hold for arbitrary input")
struct JSONPropertyTests {
    /// Bytes that JSON gives meaning to, and some that it does not (an invalid UTF-8 lead and
    /// continuation, a control character), so random strings often come close to valid.
    static let alphabet: [UInt8] = Array(#"{}[]":,0123456789-+.eEtrufalsn \u\"#.utf8) + [0xC3, 0xA9, 0xFF, 0x80, 0x01]

    @Test("random byte strings parse or are refused, and what parses round-trips through its canonical form")
    func parserTotal() async {
        await propertyCheck(count: 2_000, input: Gen.element(of: Self.alphabet).array(of: 0...48)) { maybeBytes in
            // `Gen.element` yields optionals (for an empty collection); the alphabet is not empty.
            let bytes = maybeBytes.compactMap { $0 }
            guard let value = try? JSONParser.parse(bytes) else { return }
            let canonical = value.canonicalBytes
            let reparsed = try? JSONParser.parse(canonical)
            #expect(reparsed?.canonicalBytes == canonical)
        }
    }

    @Test("random transfer-shaped bodies decode to a transfer or a 400 naming a field")
    func decoderTotal() async {
        let fields = [
            #""debit_account_id":"0190f1b2-0000-7000-8000-000000000001""#, #""credit_account_id":"0190f1b2-0000-7000-8000-000000000002""#,
            #""amount":1"#, #""amount":-1"#, #""amount":1.0"#, #""amount":"1""#, #""amount":9223372036854775808"#,
            #""currency":"USD""#, #""currency":"usd""#, #""pending":true"#, #""pending":1"#, #""timeout_seconds":10"#,
            #""description":"x""#, #""metadata":{}"#, #""metadata":[]"#, #""extra":null"#, #""id":"nope""#,
        ]
        await propertyCheck(count: 1_000, input: Gen.element(of: fields).array(of: 0...8)) { chosen in
            let body = "{" + chosen.compactMap { $0 }.joined(separator: ",") + "}"
            guard let json = try? JSONParser.parse(Array(body.utf8)) else { return }
            do throws(Problem) {
                let transfer = try NewTransfer(json: json)
                #expect(transfer.amount >= 1)
            } catch {
                #expect(error.status == .badRequest)
                #expect(error.code == "validation_failed")
            }
        }
    }
}
