import Foundation
import PropertyBased
import Testing

/// Runs a property over generated inputs so that every run can be replayed.
///
/// PropertyBased's own `propertyCheck` draws a fresh random state for every run and replays a
/// failure only through a `.fixedSeed` trait written into the source. A ledger property must be
/// replayable from the command line (`make proptest SEED=…`), so this runner takes one seed from
/// `PROPTEST_SEED`, derives the generator state of every case from it and the property's name, and
/// drives PropertyBased's generators with PropertyBased's `Xoshiro`. It shrinks a failing input
/// with the input's own shrinker (programs shrink by dropping and simplifying commands, which the
/// library's element-wise array shrinker cannot do meaningfully for commands that refer to
/// earlier ones) and reports the seed, the case and the shrunk input.
struct PropertyRunner: Sendable {
    /// Cases per property when `PROPTEST_ITERATIONS` is unset: keeps the whole suite near
    /// 20 s in a debug build on two shared cores.
    static let iterationsDefault = 200
    /// Fewest cases for which tests hold their coverage floors: rarer events (a post of one more
    /// than was held, a multi-command atomic group that commits) need this many to show up.
    static let coverageIterationsMin = 100
    /// Property runs spent on shrinking one failure at most.
    static let shrinkRunsMax = 3_000

    var seed: UInt64
    var iterations: Int
    /// Runs only this case when set (`PROPTEST_CASE`), to replay one failure quickly.
    var onlyCase: Int?
    /// Prints each property's coverage counts when set (`PROPTEST_VERBOSE=1`).
    var isVerbose = false

    /// The seed of this test process when `PROPTEST_SEED` is unset: one for every property, so
    /// that a single `make proptest SEED=…` replays the whole run.
    static let runSeed = UInt64.random(in: .min ... .max)

    /// Reads `PROPTEST_SEED` (decimal or 0x-hex), `PROPTEST_ITERATIONS` and `PROPTEST_CASE`.
    /// Without a seed, each run draws one, and prints it with any failure.
    static func fromEnvironment(iterationsDefault: Int = iterationsDefault) -> PropertyRunner {
        let environment = ProcessInfo.processInfo.environment
        var seed = runSeed
        if let text = environment["PROPTEST_SEED"], !text.isEmpty {
            if let parsed = parseUInt64(text) {
                seed = parsed
            } else {
                Issue.record("PROPTEST_SEED=\(text) is not a decimal or 0x-hexadecimal UInt64")
            }
        }
        var iterations = iterationsDefault
        if let text = environment["PROPTEST_ITERATIONS"], !text.isEmpty {
            if let parsed = Int(text), parsed > 0 {
                iterations = parsed
            } else {
                Issue.record("PROPTEST_ITERATIONS=\(text) is not a positive integer")
            }
        }
        let onlyCase = environment["PROPTEST_CASE"].flatMap { Int($0) }
        let isVerbose = environment["PROPTEST_VERBOSE"].map { !$0.isEmpty && $0 != "0" } ?? false
        return PropertyRunner(seed: seed, iterations: iterations, onlyCase: onlyCase, isVerbose: isVerbose)
    }

    static func parseUInt64(_ text: String) -> UInt64? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
        return UInt64(text)
    }

    /// The generator state of one case: a pure function of the seed, the property and the case.
    func rng(property: String, case index: Int) -> Xoshiro {
        var mixer = SplitMix64(state: seed ^ Self.fnv1a(property) ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        return Xoshiro(seed: (mixer.next(), mixer.next(), mixer.next(), mixer.next()))
    }

    /// Checks `property` on `iterations` generated inputs.
    ///
    /// `property` returns what broke (empty when the input passed) and counts what it saw in
    /// `coverage`, which the caller checks so that a generator that stopped exercising a rule
    /// cannot pass silently. Returns the coverage of the passing cases.
    @discardableResult
    func check<Input>(
        _ name: String,
        input generator: Generator<Input, some SendableSequenceType>,
        shrink: (Input) -> [Input],
        describe: (Input) -> String,
        property: (Input, inout Coverage) -> [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Coverage {
        var coverage = Coverage()
        let cases = onlyCase.map { [$0] } ?? Array(0..<iterations)
        // Printed up front: if the process traps, this line is what makes the run replayable.
        print("Property \"\(name)\": PROPTEST_SEED=\(seed), \(cases.count) cases\(onlyCase.map { " (case \($0) only)" } ?? "")")
        for index in cases {
            // With PROPTEST_VERBOSE, the last of these lines names the case a trap happened in.
            if isVerbose { print("Property \"\(name)\": case \(index)") }
            var rng = rng(property: name, case: index)
            let input = generator.run(using: &rng)
            var caseCoverage = Coverage()
            let failures = property(input, &caseCoverage)
            if failures.isEmpty {
                coverage.merge(caseCoverage)
                continue
            }
            let (shrunk, shrinkRuns) = shrinkFailure(input, shrink: shrink, property: property)
            var scratch = Coverage()
            let shrunkFailures = property(shrunk, &scratch)
            let report = """
                Property "\(name)" failed on case \(index) of \(iterations).
                Replay: make proptest SEED=\(seed)   (PROPTEST_SEED=\(seed) PROPTEST_ITERATIONS=\(iterations) PROPTEST_CASE=\(index) swift test --filter LedgerCoreTests)
                Shrunk input (\(shrinkRuns) shrink runs):
                \(describe(shrunk))
                What broke:
                \(shrunkFailures.prefix(8).map { "- \($0)" }.joined(separator: "\n"))
                Original input:
                \(describe(input))
                """
            print(report)
            Issue.record(Comment(rawValue: report), sourceLocation: sourceLocation)
            return coverage
        }
        if isVerbose {
            print("Property \"\(name)\" passed \(cases.count) cases (seed \(seed)): \(coverage.counts.sorted { $0.key < $1.key })")
        }
        return coverage
    }

    /// Greedy shrinking: take the first smaller candidate that still fails, until none does or
    /// the run budget is spent.
    private func shrinkFailure<Input>(
        _ input: Input, shrink: (Input) -> [Input], property: (Input, inout Coverage) -> [String]
    ) -> (Input, Int) {
        var current = input
        var runs = 0
        var improved = true
        while improved, runs < Self.shrinkRunsMax {
            improved = false
            for candidate in shrink(current) {
                runs += 1
                var scratch = Coverage()
                if !property(candidate, &scratch).isEmpty {
                    current = candidate
                    improved = true
                    break
                }
                if runs >= Self.shrinkRunsMax { break }
            }
        }
        return (current, runs)
    }

    /// FNV-1a of the property's name: stable across processes, unlike `Hasher`.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// SplitMix64, used only to spread one seed over the four words of a `Xoshiro` state.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// How often each kind of event happened over a property's passing cases.
struct Coverage: Sendable {
    private(set) var counts: [String: Int] = [:]

    mutating func count(_ event: String, by amount: Int = 1) {
        counts[event, default: 0] += amount
    }

    mutating func merge(_ other: Coverage) {
        counts.merge(other.counts, uniquingKeysWith: +)
    }

    subscript(event: String) -> Int { counts[event, default: 0] }
}
