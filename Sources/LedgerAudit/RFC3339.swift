import Foundation
import LedgerCore

/// What an auditor may type for a statement's period or a balance's date: a calendar day or an
/// RFC 3339 instant. Formatting and the calendar live in `LedgerCore`'s `RFC3339`.
extension RFC3339 {
    /// A calendar day `YYYY-MM-DD` as the microsecond its UTC midnight starts, or nil.
    static func parseDay(_ text: String) -> Int64? {
        var parser = Parser(Array(text.utf8))
        guard let (year, month, day) = parser.day(), parser.isAtEnd else { return nil }
        return days(year: year, month: month, day: day) * secondsPerDay * microsecondsPerSecond
    }

    /// An RFC 3339 instant (`2024-01-02T03:04:05Z`, fraction up to six digits, `Z` or `±HH:MM`),
    /// as microseconds since the epoch, or nil.
    static func parseInstant(_ text: String) -> Int64? {
        var parser = Parser(Array(text.utf8))
        guard let (year, month, day) = parser.day() else { return nil }
        guard parser.take(UInt8(ascii: "T")) || parser.take(UInt8(ascii: "t")) || parser.take(UInt8(ascii: " ")) else {
            return nil
        }
        guard let hour = parser.digits(2), parser.take(UInt8(ascii: ":")), let minute = parser.digits(2),
            parser.take(UInt8(ascii: ":")), let second = parser.digits(2),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var fraction: Int64 = 0
        if parser.take(UInt8(ascii: ".")) {
            var count = 0
            while let digit = parser.digit() {
                guard count < 6 else { return nil }
                fraction = fraction * 10 + digit
                count += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<6 { fraction *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if parser.take(UInt8(ascii: "Z")) || parser.take(UInt8(ascii: "z")) {
            offsetSeconds = 0
        } else if let sign = parser.sign() {
            guard let offsetHours = parser.digits(2), parser.take(UInt8(ascii: ":")), let offsetMinutes = parser.digits(2),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard parser.isAtEnd else { return nil }
        let seconds = days(year: year, month: month, day: day) * secondsPerDay + hour * 3600 + minute * 60 + second - offsetSeconds
        return seconds * microsecondsPerSecond + fraction
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var isAtEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int64? {
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
            defer { index += 1 }
            return Int64(bytes[index] - UInt8(ascii: "0"))
        }

        mutating func digits(_ count: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<count {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }

        mutating func sign() -> Int64? {
            if take(UInt8(ascii: "+")) { return 1 }
            if take(UInt8(ascii: "-")) { return -1 }
            return nil
        }

        /// `YYYY-MM-DD` naming a real day of years 1 to 9999.
        mutating func day() -> (Int64, Int64, Int64)? {
            guard let year = digits(4), take(UInt8(ascii: "-")), let month = digits(2), take(UInt8(ascii: "-")),
                let day = digits(2)
            else { return nil }
            guard year >= 1, (1...12).contains(month), (1...RFC3339.daysInMonth(year: year, month: month)).contains(day) else {
                return nil
            }
            return (year, month, day)
        }
    }
}
