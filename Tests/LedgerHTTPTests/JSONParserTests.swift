import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LedgerHTTP
import LedgerStore
import LedgerTestSupport
import Logging
import Postgres
import Redis
import Testing

@Suite("strict JSON parser and canonical form")
struct JSONParserTests {
    @Test("parses every JSON type and keeps number tokens exactly")
    func parsesValues() throws {
        let value = try JSONParser.parse(Array(#" {"a": [1, -0.5, 1e3, 9223372036854775808], "b": {"c": null, "d": true, "e": false}, "s": "x\"\\\/\n\u00e9\ud83d\ude00"} "#.utf8))
        #expect(value["a"] == .array([.number("1"), .number("-0.5"), .number("1e3"), .number("9223372036854775808")]))
        #expect(value["b"]["c"] == .null)
        #expect(value["b"]["d"] == .bool(true))
        #expect(value["s"] == .string("x\"\\/\né😀"))
    }

    @Test(
        "refuses malformed documents",
        arguments: [
            "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "'x'", "01", "1.", ".5", "-", "1e", "+1",
            "NaN", "Infinity", "tru", "nulll", "{\"a\":1}x", "{\"a\":1}{}", "[1 2]", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"",
            "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\tb\"", "\"\u{1}\"", "{\"a\":1,\"a\":2}", "\u{FEFF}{}",
        ]
    )
    func refusesMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test(
        "refuses ill-formed UTF-8 inside strings",
        arguments: [
            [0xFF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0xC3], [0xE2, 0x82], [0x80], [0xF0, 0x9F, 0x98],
        ] as [[UInt8]]
    )
    func refusesBadUTF8(_ bytes: [UInt8]) {
        let document = Array("{\"a\":\"".utf8) + bytes + Array("\"}".utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(document) }
    }

    @Test("accepts well-formed multi-byte UTF-8 at every length")
    func acceptsUTF8() throws {
        let value = try JSONParser.parse(Array("[\"é€😀\u{10FFFF}\"]".utf8))
        #expect(value[0] == .string("é€😀\u{10FFFF}"))
    }

    @Test("bounds nesting depth")
    func boundsDepth() throws {
        let limits = JSONParser.Limits()
        let ok = String(repeating: "[", count: limits.depthMax) + String(repeating: "]", count: limits.depthMax)
        _ = try JSONParser.parse(Array(ok.utf8))
        let deep = String(repeating: "[", count: limits.depthMax + 1) + String(repeating: "]", count: limits.depthMax + 1)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(deep.utf8)) }
        // A million brackets must fail fast rather than recurse.
        let hostile = String(repeating: "[", count: 1_000_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(hostile.utf8)) }
    }

    @Test("bounds number length")
    func boundsNumbers() {
        let long = String(repeating: "9", count: JSONParser.Limits().numberCharactersMax + 1)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(long.utf8)) }
    }

    @Test("canonical form sorts keys by bytes, drops whitespace and keeps numbers as written")
    func canonical() throws {
        let a = try JSONParser.parse(Array(#"{ "b": [1.0, {"z": 1, "a": "é"}], "a": null, "B": "\u0041\n" }"#.utf8))
        let b = try JSONParser.parse(Array(#"{"B":"A\n","a":null,"b":[1.0,{"a":"\u00e9","z":1}]}"#.utf8))
        #expect(a.canonicalText == #"{"B":"A\n","a":null,"b":[1.0,{"a":"é","z":1}]}"#)
        #expect(a.canonicalBytes == b.canonicalBytes)
        let control = try JSONParser.parse(Array(#"["\u0001\u001f\"\\"]"#.utf8))
        #expect(control.canonicalText == #"["\u0001\u001f\"\\"]"#)
        // The canonical form parses back to the same value.
        #expect(try JSONParser.parse(a.canonicalBytes).canonicalBytes == a.canonicalBytes)
    }

    @Test("response writer places commas and escapes strings")
    func writer() throws {
        var writer = JSONWriter()
        writer.objectStart()
        writer.field("a", "x\"y")
        writer.key("b")
        writer.arrayStart()
        writer.integer(Int128.max)
        writer.null()
        writer.objectStart()
        writer.objectEnd()
        writer.arrayEnd()
        writer.field("c", true)
        writer.objectEnd()
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #"{"a":"x\"y","b":[170141183460469231731687303715884105727,null,{}],"c":true}"#)
        _ = try JSONParser.parse(writer.bytes)
    }
}
