import Foundation
import LedgerCore

/// RFC 3339 timestamps in UTC with microseconds, and calendar days, without a date formatter.
///
/// Statements format a timestamp for every entry, so this is plain integer arithmetic that does
/// not depend on the process's locale or time zone and keeps microseconds exact.
enum RFC3339 {
    static let microsecondsPerSecond: Int64 = 1_000_000
    static let secondsPerDay: Int64 = 86_400

    /// `2024-01-02T03:04:05.123456Z`.
    static func format(_ date: Date) -> String {
        format(microseconds: date.microsecondsSinceEpoch)
    }

    static func format(microseconds: Int64) -> String {
        let seconds = floorDivide(microseconds, microsecondsPerSecond)
        let fraction = microseconds - seconds * microsecondsPerSecond
        let days = floorDivide(seconds, secondsPerDay)
        let secondOfDay = seconds - days * secondsPerDay
        let (year, month, day) = civil(daysSinceEpoch: days)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        append(year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        append(secondOfDay / 3600, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(secondOfDay / 60 % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(secondOfDay % 60, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        append(fraction, width: 6, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

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

    // MARK: - Civil calendar (proleptic Gregorian; Howard Hinnant's algorithms)

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor < 0) ? quotient - 1 : quotient
    }

    private static func append(_ value: Int64, width: Int, to bytes: inout [UInt8]) {
        var digits: [UInt8] = []
        var rest = value
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        for _ in digits.count..<max(width, digits.count) { bytes.append(UInt8(ascii: "0")) }
        bytes.append(contentsOf: digits.reversed())
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
