import Foundation
import LedgerCore

/// A request's query string, parsed strictly: each name at most once, only the names the route
/// accepts, percent-escapes well-formed and decoding to valid UTF-8. Every failure is a 400
/// naming the parameter, so no query string can reach a store call in a form it did not expect.
struct QueryParameters {
    /// Characters of one decoded value; cursors and timestamps are far shorter.
    static let valueCharactersMax = 256

    private var values: [String: String] = [:]

    init(_ query: String?, allowed: Set<String>) throws(Problem) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else {
                throw Problem.invalid("a query parameter name is not valid percent-encoded UTF-8")
            }
            guard allowed.contains(name) else {
                throw Problem.invalid("unknown query parameter; this route accepts \(allowed.sorted().joined(separator: ", "))", field: Self.printable(name))
            }
            guard values[name] == nil else { throw Problem.invalid("\(name) is given more than once", field: name) }
            let raw = parts.count > 1 ? parts[1] : ""
            guard let value = Self.decode(raw), value.count <= Self.valueCharactersMax else {
                throw Problem.invalid("\(name) is not valid percent-encoded UTF-8 of at most \(Self.valueCharactersMax) characters", field: name)
            }
            values[name] = value
        }
    }

    func string(_ name: String) -> String? {
        values[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A page size from 1 to `Limits.pageItemsMax`.
    func limit(default defaultValue: Int) throws(Problem) -> Int {
        guard let text = string("limit") else { return defaultValue }
        guard text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), text.utf8.count <= 4,
            let value = Int(text), (1...Limits.pageItemsMax).contains(value)
        else {
            throw Problem.invalid("limit must be an integer from 1 to \(Limits.pageItemsMax)", field: "limit")
        }
        return value
    }

    func timestamp(_ name: String) throws(Problem) -> Date? {
        guard let text = string(name) else { return nil }
        guard let date = RFC3339.parse(text) else {
            throw Problem.invalid("\(name) must be an RFC 3339 timestamp such as 2024-01-31T23:59:59Z", field: name)
        }
        return date
    }

    /// Percent-decodes bytes; nil for a malformed escape or bytes that are not UTF-8.
    /// `+` stays `+`: RFC 3986 queries do not encode spaces that way, and timestamps use `+`.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Hex.value(of:)), let low = iterator.next().flatMap(Hex.value(of:)) else { return nil }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self), !decoded.utf8.contains(0) else { return nil }
        return decoded
    }

    private static func printable(_ text: String) -> String {
        String(text.unicodeScalars.prefix(64).filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
    }
}
