import ArgumentParser

/// A duration on the command line: "30" or "30s", "500ms", "2m".
struct DurationArgument: ExpressibleByArgument, Sendable, Equatable {
    var duration: Duration

    init(_ duration: Duration) {
        self.duration = duration
    }

    init?(argument: String) {
        let text = argument.trimmingPrefix(" ").lowercased()
        let units: [(suffix: String, scale: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3_600)]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let value = Double(text.dropLast(unit.suffix.count)), value >= 0, value.isFinite else { return nil }
            self.duration = .milliseconds(Int64((value * unit.scale * 1_000).rounded()))
            return
        }
        guard let value = Double(text), value >= 0, value.isFinite else { return nil }
        self.duration = .milliseconds(Int64((value * 1_000).rounded()))
    }

    var defaultValueDescription: String {
        let milliseconds = Int64(Format.seconds(self.duration) * 1_000)
        return milliseconds % 1_000 == 0 ? "\(milliseconds / 1_000)s" : "\(milliseconds)ms"
    }
}
