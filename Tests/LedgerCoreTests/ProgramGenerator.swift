import PropertyBased

/// The shape of the programs a property wants: how many accounts, which limits, which amounts.
struct ProgramShape: Sendable {
    var accountCount: ClosedRange<Int> = 2...8
    var currencyCount: ClosedRange<Int> = 1...3
    var opCount: ClosedRange<Int> = 1...80
    /// Whether accounts may carry a `*_must_not_exceed_*` flag.
    var allowsLimits = true
    /// Whether transfer amounts sit just under Int64.max instead of mostly small.
    var nearInt64Max = false
    /// Relative weight of deliberately invalid commands.
    var invalidWeight: Double = 10

    static let standard = ProgramShape()

    /// Unflagged accounts in one currency moving amounts near Int64.max, so that sums leave the
    /// Int64 range after two transfers.
    static let nearInt64Max = ProgramShape(
        accountCount: 2...4, currencyCount: 1...1, opCount: 10...60, allowsLimits: false,
        nearInt64Max: true, invalidWeight: 2
    )
}

/// Generators of programs, built from PropertyBased's generators.
enum ProgramGenerator {
    /// Amounts close to the top of Int64: within this distance of Int64.max.
    static let nearInt64MaxSpan: Int64 = 1_000

    static func program(_ shape: ProgramShape) -> Generator<Program, some SendableSequenceType> {
        zip(
            Gen.int(in: shape.currencyCount),
            accountSpec(shape).array(of: shape.accountCount),
            op(shape).array(of: shape.opCount)
        ).map { currencyCount, accounts, ops in
            Program(currencyCount: currencyCount, accounts: accounts, ops: ops)
        }
    }

    static func accountSpec(_ shape: ProgramShape) -> Generator<AccountSpec, some SendableSequenceType> {
        zip(
            Gen.int(in: 0...2),
            Gen<AccountSpec.Limit>.case,
            Gen.bool(0.3)
        ).map { currencyIndex, limit, hasCode in
            AccountSpec(currencyIndex: currencyIndex, limit: shape.allowsLimits ? limit : .none, hasCode: hasCode)
        }
    }

    static func amount(_ shape: ProgramShape) -> Generator<Int64, some SendableSequenceType> {
        let huge = Gen.int64(in: (Int64.max - nearInt64MaxSpan)...Int64.max)
        if shape.nearInt64Max {
            return Gen<Int64>.frequency(
                (weight: 9, gen: huge),
                (weight: 1, gen: Gen.int64(in: 1...100))
            )
        }
        return Gen<Int64>.frequency(
            (weight: 6, gen: Gen.int64(in: 1...100)),
            (weight: 3, gen: Gen.int64(in: 1...10_000)),
            (weight: 1, gen: huge)
        )
    }

    static func postAmount() -> Generator<PostAmount, some SendableSequenceType> {
        Gen<PostAmount>.frequency(
            (weight: 5, gen: Gen.always(PostAmount.full)),
            (weight: 4, gen: Gen.int(in: 1...999).map { PostAmount.partial(permille: $0) }),
            // Exactly what was held, and one more: the two sides of the boundary.
            (weight: 1, gen: Gen.always(PostAmount.partial(permille: 1_000))),
            (weight: 1, gen: Gen.always(PostAmount.over(by: 1))),
            (weight: 1, gen: Gen.int64(in: 2...1_000).map { PostAmount.over(by: $0) }),
            (weight: 1, gen: Gen.int64(in: -5...0).map { PostAmount.nonPositive($0) })
        )
    }

    static func op(_ shape: ProgramShape) -> Generator<Op, some SendableSequenceType> {
        let accountIndex = Gen.int(in: 0...7)
        let ref = Gen.int(in: 0...999)
        let transfer = zip(
            accountIndex, accountIndex, amount(shape), Gen.bool(0.4), Gen.int(in: 1...120).optional(valueRate: 0.6)
        ).map { debit, credit, amount, pending, timeout in
            Op.transfer(debit: debit, credit: credit, amount: amount, pending: pending, timeoutSeconds: pending ? timeout : nil)
        }
        let post = zip(ref, Gen.bool(0.85), postAmount()).map { ref, pendingOnly, amount in
            Op.post(ref: ref, pendingOnly: pendingOnly, amount: amount)
        }
        let void = zip(ref, Gen.bool(0.8)).map { Op.void(ref: $0, pendingOnly: $1) }
        let expire = zip(ref, Gen.bool(0.8)).map { Op.expire(ref: $0, pendingOnly: $1) }
        let advance = Gen<Int64>.frequency(
            (weight: 3, gen: Gen.int64(in: 0...5_000_000)),
            (weight: 2, gen: Gen.int64(in: 0...150_000_000))
        ).map { Op.advance(micros: $0) }
        let invalid = zip(Gen<InvalidKind>.case, accountIndex, accountIndex).map { Op.invalid($0, a: $1, b: $2) }
        return Gen<Op>.frequency(
            (weight: 30, gen: transfer),
            (weight: 12, gen: post),
            (weight: 6, gen: void),
            (weight: 4, gen: expire),
            (weight: 4, gen: Gen.always(Op.expireDue)),
            (weight: 8, gen: advance),
            (weight: shape.invalidWeight, gen: invalid)
        )
    }
}
