#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Converts between `Date` and the text form of `timestamptz`, at microsecond precision.
///
/// Hand-written rather than a date formatter: it runs for every timestamp of every row, must not
/// depend on the process's locale or time zone, and must round-trip microseconds exactly.
enum TimestampText {
    static let microsecondsPerSecond: Int64 = 1_000_000
    static let secondsPerDay: Int64 = 86_400

    /// Whole microseconds since 1970-01-01 UTC, rounded to the nearest microsecond.
    static func microseconds(_ date: Date) -> Int64 {
        let micros = (date.timeIntervalSince1970 * Double(microsecondsPerSecond)).rounded()
        // Postgres' own range is 4713 BC to 294276 AD; anything outside cannot be stored anyway,
        // so clamp instead of trapping on the conversion.
        let limit = 9.0e18
        return Int64(max(-limit, min(limit, micros)))
    }

    static func date(microseconds: Int64) -> Date {
        let seconds = microseconds.floorDivided(by: microsecondsPerSecond)
        let fraction = microseconds - seconds * microsecondsPerSecond
        return Date(timeIntervalSince1970: Double(seconds) + Double(fraction) / Double(microsecondsPerSecond))
    }

    /// `2024-01-02T03:04:05.123456Z`, or Postgres' own `0044-03-15 12:00:00.000000+00 BC` before year 1.
    static func encode(_ date: Date) -> String {
        let micros = microseconds(date)
        let seconds = micros.floorDivided(by: microsecondsPerSecond)
        let fraction = micros - seconds * microsecondsPerSecond
        let days = seconds.floorDivided(by: secondsPerDay)
        let secondOfDay = seconds - days * secondsPerDay
        let (year, month, day) = civil(daysSinceEpoch: days)
        let isBC = year <= 0
        let displayYear = isBC ? 1 - year : year
        var text = ""
        text.reserveCapacity(36)
        text += pad(displayYear, 4)
        text += "-" + pad(month, 2) + "-" + pad(day, 2)
        text += isBC ? " " : "T"
        text += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        text += "." + pad(fraction, 6)
        text += isBC ? "+00 BC" : "Z"
        return text
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][Z|±HH[:MM[:SS]]][ BC]` (the ISO DateStyle output, or `T`
    /// as separator). A missing offset means UTC, which is what every connection sets.
    static func decode(_ text: String) -> Date? {
        var parser = Parser(Array(text.utf8))
        guard let yearDigits = parser.digits(minCount: 4, maxCount: 9), parser.take(UInt8(ascii: "-")),
            let month = parser.digits(minCount: 2, maxCount: 2), parser.take(UInt8(ascii: "-")),
            let day = parser.digits(minCount: 2, maxCount: 2)
        else { return nil }
        guard parser.take(UInt8(ascii: " ")) || parser.take(UInt8(ascii: "T")) else { return nil }
        guard let hour = parser.digits(minCount: 2, maxCount: 2), parser.take(UInt8(ascii: ":")),
            let minute = parser.digits(minCount: 2, maxCount: 2), parser.take(UInt8(ascii: ":")),
            let second = parser.digits(minCount: 2, maxCount: 2)
        else { return nil }
        var fraction: Int64 = 0
        if parser.take(UInt8(ascii: ".")) {
            guard let (value, count) = parser.fraction() else { return nil }
            fraction = value
            for _ in count..<6 { fraction *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if parser.take(UInt8(ascii: "Z")) {
            offsetSeconds = 0
        } else if let sign = parser.takeSign() {
            guard let offsetHours = parser.digits(minCount: 2, maxCount: 2) else { return nil }
            var offset = offsetHours * 3600
            if parser.take(UInt8(ascii: ":")) {
                guard let offsetMinutes = parser.digits(minCount: 2, maxCount: 2) else { return nil }
                offset += offsetMinutes * 60
                if parser.take(UInt8(ascii: ":")) {
                    guard let offsetSecondsPart = parser.digits(minCount: 2, maxCount: 2) else { return nil }
                    offset += offsetSecondsPart
                }
            }
            offsetSeconds = sign * offset
        }
        var year = yearDigits
        if parser.takeSuffix(" BC") {
            year = 1 - yearDigits
        }
        guard parser.isAtEnd, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * secondsPerDay + hour * 3600 + minute * 60 + second - offsetSeconds
        return date(microseconds: seconds * microsecondsPerSecond + fraction)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (`civil_from_days`).
    static func civil(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// A cursor over ASCII bytes.
    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        var isAtEnd: Bool { self.index == self.bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard self.index < self.bytes.count, self.bytes[self.index] == byte else { return false }
            self.index += 1
            return true
        }

        mutating func takeSign() -> Int64? {
            if self.take(UInt8(ascii: "+")) { return 1 }
            if self.take(UInt8(ascii: "-")) { return -1 }
            return nil
        }

        mutating func takeSuffix(_ suffix: String) -> Bool {
            let expected = Array(suffix.utf8)
            guard self.bytes.count - self.index >= expected.count,
                Array(self.bytes[self.index..<self.index + expected.count]) == expected
            else { return false }
            self.index += expected.count
            return true
        }

        mutating func digits(minCount: Int, maxCount: Int) -> Int64? {
            var value: Int64 = 0
            var count = 0
            while count < maxCount, self.index < self.bytes.count, let digit = Self.digit(self.bytes[self.index]) {
                value = value * 10 + digit
                count += 1
                self.index += 1
            }
            return count >= minCount ? value : nil
        }

        /// Up to six fractional digits are kept; further digits (never sent by Postgres) are dropped.
        mutating func fraction() -> (value: Int64, count: Int)? {
            var value: Int64 = 0
            var count = 0
            while self.index < self.bytes.count, let digit = Self.digit(self.bytes[self.index]) {
                if count < 6 {
                    value = value * 10 + digit
                    count += 1
                }
                self.index += 1
            }
            return count > 0 ? (value, count) : nil
        }

        private static func digit(_ byte: UInt8) -> Int64? {
            byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int64(byte - UInt8(ascii: "0")) : nil
        }
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so dates before 1970 split into day and time correctly.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
