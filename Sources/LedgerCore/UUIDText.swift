public import Foundation

extension UUID {
    /// Parses the canonical 8-4-4-4-12 hex form, in either case, and nothing else.
    ///
    /// Foundation's `UUID(uuidString:)` goes through `sscanf` on this platform, which was a
    /// visible share of the server's time on large batches, where every transfer carries
    /// three ids.
    public init?(canonical text: some StringProtocol) {
        var parsed: UUID?
        var text = String(text)
        text.withUTF8 { utf8 in
            parsed = UUID(canonicalUTF8: utf8)
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// The same parse over UTF-8 bytes, for callers that hold them already.
    public init?(canonicalUTF8 utf8: UnsafeBufferPointer<UInt8>) {
        guard utf8.count == 36 else { return nil }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let complete = withUnsafeMutableBytes(of: &bytes) { output -> Bool in
            var source = 0
            for index in 0..<16 {
                if source == 8 || source == 13 || source == 18 || source == 23 {
                    guard utf8[source] == UInt8(ascii: "-") else { return false }
                    source += 1
                }
                guard let high = Hex.value(of: utf8[source]), let low = Hex.value(of: utf8[source + 1]) else { return false }
                output[index] = high << 4 | low
                source += 2
            }
            return true
        }
        guard complete else { return nil }
        self.init(uuid: bytes)
    }

    /// The canonical lower-case text of the id: what the API, statements and error details
    /// show (Foundation's `uuidString` is upper case, and made with `sprintf`).
    public var lowercasedString: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { output in
                var target = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        output[target] = UInt8(ascii: "-")
                        target += 1
                    }
                    output[target] = Self.hexDigits[Int(bytes[index] >> 4)]
                    output[target + 1] = Self.hexDigits[Int(bytes[index] & 0x0F)]
                    target += 2
                }
                return 36
            }
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

/// Hexadecimal digits, for the few text forms that carry bytes as hex.
public enum Hex {
    /// The value of one hex digit, in either case; nil for any other byte.
    public static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
