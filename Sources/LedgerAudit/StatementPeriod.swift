public import Foundation
import LedgerCore

/// The stretch of time a statement covers: entries booked at `start` or later and before `end`.
public struct StatementPeriod: Sendable, Hashable {
    /// The first instant of the period (inclusive).
    public var start: Date
    /// The instant the period ends (exclusive); the closing balance stands as of it.
    public var end: Date

    public init(start: Date, end: Date) {
        precondition(start <= end, "a statement period must not end before it starts")
        self.start = start.truncatedToMicroseconds
        self.end = end.truncatedToMicroseconds
    }

    /// Parses the CLI's `--from` and `--to`. Each is a UTC calendar day `YYYY-MM-DD` or an RFC 3339
    /// instant. A day given as `to` includes that whole day; an instant given as `to` is excluded,
    /// like the API's `[from, to)` ranges.
    /// - Throws: `AuditError(.invalidInput)` for an unparsable value or `from` after `to`.
    public static func parse(from fromText: String, to toText: String) throws(AuditError) -> StatementPeriod {
        let from = try Bound(parsing: fromText, option: "--from")
        let to = try Bound(parsing: toText, option: "--to")
        let dayMicroseconds = RFC3339.secondsPerDay * RFC3339.microsecondsPerSecond
        let endMicroseconds = to.isDay ? to.microseconds + dayMicroseconds : to.microseconds
        // A --to day covers up to its last microsecond; equal instants make an empty period.
        let lastCovered = to.isDay ? endMicroseconds - 1 : endMicroseconds
        guard from.microseconds <= lastCovered else {
            throw AuditError(.invalidInput, "--from \(fromText) is after --to \(toText)")
        }
        return StatementPeriod(
            start: Date(microsecondsSinceEpoch: from.microseconds),
            end: Date(microsecondsSinceEpoch: endMicroseconds)
        )
    }

    private struct Bound {
        var microseconds: Int64
        var isDay: Bool

        init(parsing text: String, option: String) throws(AuditError) {
            if let day = RFC3339.parseDay(text) {
                self.microseconds = day
                self.isDay = true
            } else if let instant = RFC3339.parseInstant(text) {
                self.microseconds = instant
                self.isDay = false
            } else {
                throw AuditError(.invalidInput, "\(option) \(text.debugDescription) is neither a date YYYY-MM-DD nor an RFC 3339 timestamp")
            }
        }
    }
}
