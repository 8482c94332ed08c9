import Foundation
import LedgerCore
import PropertyBased
import Testing

/// A program to set the ledger up, then a group of operations applied all or nothing.
struct AtomicCase: Sendable, Hashable, CustomStringConvertible {
    var setup: Program
    var group: [Op]

    var description: String {
        "\(setup)\ngroup:\n" + group.enumerated().map { "  \($0.offset). \($0.element)" }.joined(separator: "\n")
    }

    func shrinkCandidates() -> [AtomicCase] {
        var candidates: [AtomicCase] = []
        for index in group.indices where group.count > 1 {
            var smaller = self
            smaller.group.remove(at: index)
            candidates.append(smaller)
        }
        for setup in setup.shrinkCandidates() {
            candidates.append(AtomicCase(setup: setup, group: group))
        }
        for index in group.indices {
            for simpler in group[index].simplerForms() {
                var smaller = self
                smaller.group[index] = simpler
                candidates.append(smaller)
            }
        }
        return candidates
    }
}

@Suite("Atomic groups of commands")
struct AtomicApplyPropertyTests {
    /// A case is a short setup and a group, cheaper than a full program: run more of them.
    let runner = PropertyRunner.fromEnvironment(iterationsDefault: PropertyRunner.iterationsDefault * 3)

    /// Groups lean on valid commands so that a good share of them commit as a whole.
    static let groupShape = ProgramShape(invalidWeight: 1)

    static func input() -> Generator<AtomicCase, some SendableSequenceType> {
        zip(
            ProgramGenerator.program(ProgramShape(currencyCount: 1...2, opCount: 0...30)),
            ProgramGenerator.op(groupShape).array(of: 1...5)
        ).map { AtomicCase(setup: $0, group: $1) }
    }

    @Test("invariant 7: a failing atomic group changes nothing; a successful one equals applying its commands one by one")
    func atomicGroups() {
        let coverage = runner.check(
            "invariant 7 atomic",
            input: Self.input(),
            shrink: { $0.shrinkCandidates() },
            describe: { "\($0)\nsetup trace:\n\(LedgerMachine.trace(of: $0.setup))" },
            property: { atomicCase, coverage in Self.violations(atomicCase, coverage: &coverage) }
        )
        if runner.onlyCase == nil, runner.iterations >= PropertyRunner.coverageIterationsMin {
            #expect(coverage["group committed"] > 0)
            #expect(coverage["group refused"] > 0)
            #expect(coverage["group committed with several commands"] > 0)
            #expect(coverage["group refused after an accepted command"] > 0)
        }
    }

    static func violations(_ atomicCase: AtomicCase, coverage: inout Coverage) -> [String] {
        var machine = LedgerMachine(program: atomicCase.setup)
        let setupFailures = machine.run { _ in [] }
        guard setupFailures.isEmpty else { return setupFailures.map { "setup: \($0)" } }
        var commands: [LedgerCommand] = []
        for op in atomicCase.group {
            if case .advance(let micros) = op {
                machine.advance(micros: micros)
                continue
            }
            commands += machine.commands(for: op).map(\.0)
        }
        let before = machine.state

        var atomic = machine.engine
        var atomicSequences = machine.sequences
        let atomicResult = atomic.applyAtomically(commands, sequences: &atomicSequences)
        let atomicState = LedgerState(engine: atomic, sequences: atomicSequences)

        var oneByOne = machine.engine
        var oneByOneSequences = machine.sequences
        var effects: [LedgerEffect] = []
        var firstFailure: (index: Int, error: LedgerError)?
        for (index, command) in commands.enumerated() {
            switch oneByOne.apply(command, sequences: &oneByOneSequences) {
            case .success(let effect): effects.append(effect)
            case .failure(let error): firstFailure = (index, error)
            }
            if firstFailure != nil { break }
        }

        var found: [String] = []
        if let firstFailure {
            coverage.count("group refused")
            if firstFailure.index > 0 { coverage.count("group refused after an accepted command") }
            let atomicFailure: LedgerEngine.AtomicFailure? = if case .failure(let failure) = atomicResult { failure } else { nil }
            if atomicFailure?.index != firstFailure.index || atomicFailure?.error != firstFailure.error {
                found.append("one by one, command \(firstFailure.index) fails with \(firstFailure.error.code); atomically: \(atomicResult)")
            }
            if atomicState != before {
                found.append("a refused group changed the state: \(atomicState.differences(from: before))")
            }
        } else {
            coverage.count("group committed")
            if commands.count > 1 { coverage.count("group committed with several commands") }
            if atomicResult != .success(effects) {
                found.append("one by one every command succeeds; atomically: \(atomicResult)")
            }
            let expected = LedgerState(engine: oneByOne, sequences: oneByOneSequences)
            if atomicState != expected {
                found.append("the group's state differs from one by one: \(atomicState.differences(from: expected))")
            }
        }
        found += HistoryFold.conservationViolations(atomicState) + HistoryFold.historyViolations(atomicState)
        return found.map { "group \(commands.map(Step.describe)): \($0)" }
    }
}
