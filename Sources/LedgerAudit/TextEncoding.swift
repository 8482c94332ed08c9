/// Escaping for the three statement formats and decimal rendering of minor units.
///
/// Every value a statement writes passes through one of these, even those (ids, codes, numbers)
/// that cannot hold a special character today, so a later field cannot break a document.
enum TextEncoding {
    /// XML character data or attribute value: `&`, `<`, `>`, `"` and `'` become entities, and
    /// control characters XML 1.0 forbids are refused by the caller's validation, never emitted.
    static func xml(_ text: String) -> String {
        guard text.utf8.contains(where: { xmlSpecial($0) }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func xmlSpecial(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }

    /// A JSON string literal, quotes included (RFC 8259 §7).
    static func json(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    /// A CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, quote or line break.
    static func csv(_ text: String) -> String {
        let needsQuotes = text.utf8.contains { byte in
            byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
        }
        guard needsQuotes else { return text }
        var out = "\""
        for character in text {
            out.append(character)
            if character == "\"" { out.append("\"") }
        }
        out.append("\"")
        return out
    }

    /// `magnitude` minor units as a decimal with `minorUnits` fraction digits: 12345 with 2 is
    /// `123.45`, 5 with 2 is `0.05`, 7 with 0 is `7`.
    static func decimal(_ magnitude: Int128, minorUnits: Int) -> String {
        precondition(magnitude >= 0, "decimal renders a magnitude; the caller carries the sign")
        precondition(minorUnits >= 0, "minor units must not be negative")
        var digits = String(magnitude)
        guard minorUnits > 0 else { return digits }
        if digits.count <= minorUnits {
            digits = String(repeating: "0", count: minorUnits - digits.count + 1) + digits
        }
        let split = digits.index(digits.endIndex, offsetBy: -minorUnits)
        return digits[..<split] + "." + digits[split...]
    }

    /// Whether a magnitude in minor units fits XML Schema's `totalDigits` when rendered with
    /// `minorUnits` fraction digits: the value is `magnitude × 10^-minorUnits`, which fits when
    /// `magnitude < 10^totalDigits` (XML Schema Part 2, §4.3.11).
    static func fits(_ magnitude: Int128, minorUnits: Int, totalDigits: Int) -> Bool {
        minorUnits <= totalDigits && String(magnitude).count <= totalDigits
    }
}
