import Foundation

/// Number formatting shared by the table, the live line and the HTML report.
enum Format {
    /// A latency in microseconds as µs, ms or s with three significant digits.
    static func latency(_ microseconds: UInt64) -> String {
        let value = Double(microseconds)
        if value < 1_000 { return "\(microseconds) µs" }
        if value < 1_000_000 { return self.significant(value / 1_000) + " ms" }
        return self.significant(value / 1_000_000) + " s"
    }

    static func significant(_ value: Double) -> String {
        if value >= 100 { return String(format: "%.0f", value) }
        if value >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }

    static func rate(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }

    /// Pads on the right to `width` characters.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// Pads on the left to `width` characters.
    static func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
