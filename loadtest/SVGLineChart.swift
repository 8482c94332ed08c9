import Foundation

/// A small line chart drawn as inline SVG, so the HTML report needs nothing from the network.
struct SVGLineChart: Sendable {
    struct Series: Sendable {
        var name: String
        var color: String
        var points: [(x: Double, y: Double)]
    }

    var title: String
    var yUnit: String
    var xTicks: [(x: Double, label: String)]
    var series: [Series]
    var width = 760.0
    var height = 300.0

    private let left = 64.0
    private let right = 20.0
    private let top = 34.0
    private let bottom = 40.0

    func svg() -> String {
        let xs = self.series.flatMap { $0.points.map(\.x) } + self.xTicks.map(\.x)
        let ys = self.series.flatMap { $0.points.map(\.y) }
        let xMin = xs.min() ?? 0
        let xMax = max(xs.max() ?? 1, xMin + 1e-9)
        let yMax = Self.niceCeiling(max(ys.max() ?? 1, 1e-9))
        let plotWidth = self.width - self.left - self.right
        let plotHeight = self.height - self.top - self.bottom
        let px = { (x: Double) in self.left + (x - xMin) / (xMax - xMin) * plotWidth }
        let py = { (y: Double) in self.top + plotHeight - y / yMax * plotHeight }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(self.width)) \(Int(self.height))\" role=\"img\" aria-label=\"\(HTML.escape(self.title))\">"
        svg += "<text x=\"\(Int(self.left))\" y=\"20\" class=\"chart-title\">\(HTML.escape(self.title))</text>"
        for step in 0...5 {
            let value = yMax * Double(step) / 5
            let y = py(value)
            svg += "<line x1=\"\(Self.n(self.left))\" x2=\"\(Self.n(self.width - self.right))\" y1=\"\(Self.n(y))\" y2=\"\(Self.n(y))\" class=\"grid\"/>"
            svg += "<text x=\"\(Self.n(self.left - 6))\" y=\"\(Self.n(y + 4))\" class=\"axis\" text-anchor=\"end\">\(Self.tick(value)) \(HTML.escape(self.yUnit))</text>"
        }
        for tick in self.xTicks {
            let x = px(tick.x)
            svg += "<line x1=\"\(Self.n(x))\" x2=\"\(Self.n(x))\" y1=\"\(Self.n(self.top))\" y2=\"\(Self.n(self.top + plotHeight))\" class=\"grid\"/>"
            svg += "<text x=\"\(Self.n(x))\" y=\"\(Self.n(self.height - self.bottom + 18))\" class=\"axis\" text-anchor=\"middle\">\(HTML.escape(tick.label))</text>"
        }
        svg += "<rect x=\"\(Self.n(self.left))\" y=\"\(Self.n(self.top))\" width=\"\(Self.n(plotWidth))\" height=\"\(Self.n(plotHeight))\" class=\"frame\"/>"
        var legendX = self.width - self.right
        for series in self.series.reversed() {
            legendX -= Double(series.name.count) * 7 + 30
            svg += "<line x1=\"\(Self.n(legendX))\" x2=\"\(Self.n(legendX + 16))\" y1=\"16\" y2=\"16\" stroke=\"\(series.color)\" stroke-width=\"3\"/>"
            svg += "<text x=\"\(Self.n(legendX + 20))\" y=\"20\" class=\"axis\">\(HTML.escape(series.name))</text>"
        }
        for series in self.series where !series.points.isEmpty {
            let points = series.points.map { "\(Self.n(px($0.x))),\(Self.n(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"\(points)\"/>"
            if series.points.count == 1, let only = series.points.first {
                svg += "<circle cx=\"\(Self.n(px(only.x)))\" cy=\"\(Self.n(py(only.y)))\" r=\"3\" fill=\"\(series.color)\"/>"
            }
        }
        return svg + "</svg>"
    }

    /// 1, 2 or 5 times a power of ten, at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        let magnitude = pow(10, floor(log10(value)))
        for factor in [1.0, 2.0, 5.0, 10.0] where factor * magnitude >= value {
            return factor * magnitude
        }
        return 10 * magnitude
    }

    /// An axis label without needless decimals: 0, 40, 2.5, 0.25.
    static func tick(_ value: Double) -> String {
        if value == value.rounded() { return String(format: "%.0f", value) }
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    private static func n(_ value: Double) -> String {
        String(format: "%.1f", value)
    }
}

/// HTML text escaping.
enum HTML {
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
