import Foundation
import LedgerCore
import Testing

@Suite("UUID text: the canonical form, parsed and printed without Foundation's scanf")
struct UUIDTextTests {
    static let seed: UInt64 = 0x5EED_0000_0000_0017

    @Test("printing agrees with Foundation's lower-cased uuidString, and parsing inverts it in either case")
    func agreesWithFoundation() {
        var generator = SplitMix64(state: Self.seed)
        var ids: [UUID] = [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))]
        ids.append(UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))
        for _ in 0..<10_000 {
            let high = generator.next()
            let low = generator.next()
            ids.append(withUnsafeBytes(of: (high, low)) { UUID(uuid: $0.load(as: uuid_t.self)) })
        }
        for id in ids {
            let text = id.lowercasedString
            guard text == id.uuidString.lowercased() else {
                Issue.record("\(text) is not \(id.uuidString.lowercased()) (seed \(Self.seed))")
                return
            }
            #expect(UUID(canonical: text) == id, "seed \(Self.seed)")
            #expect(UUID(canonical: id.uuidString) == id, "seed \(Self.seed)")
            #expect(UUID(canonical: text[...]) == id, "a substring parses too")
        }
    }

    @Test("anything but 36 characters of 8-4-4-4-12 hex is refused", arguments: [
        "",
        "0123456789abcdef0123456789abcdef",
        "01234567-89ab-cdef-0123-456789abcde",
        "01234567-89ab-cdef-0123-456789abcdef0",
        "01234567-89ab-cdef-0123-456789abcdeg",
        "01234567_89ab-cdef-0123-456789abcdef",
        "0123456789-ab-cdef-0123-456789abcdef",
        " 1234567-89ab-cdef-0123-456789abcdef",
        "+1234567-89ab-cdef-0123-456789abcdef",
        "{1234567-89ab-cdef-0123-456789abcdef",
        "01234567-89ab-cdef-0123-456789abcdé",
    ])
    func refusals(text: String) {
        #expect(UUID(canonical: text) == nil)
    }
}
