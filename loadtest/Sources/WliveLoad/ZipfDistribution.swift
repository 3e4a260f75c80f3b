#if canImport(Glibc)
    import Glibc
#endif

/// Picks one of `count` items, item k (from 0) with probability proportional to 1 / (k + 1)^s:
/// a few hot channels and a long tail, as live rooms are. s = 0 is uniform.
public struct ZipfDistribution: Sendable {
    private let cumulative: [Double]

    public init(count: Int, exponent: Double) {
        precondition(count > 0, "a distribution over no items")
        var total = 0.0
        var cumulative: [Double] = []
        cumulative.reserveCapacity(count)
        for rank in 1...count {
            total += exponent == 0 ? 1 : 1 / pow(Double(rank), exponent)
            cumulative.append(total)
        }
        self.cumulative = cumulative.map { $0 / total }
    }

    /// The probability of item `index`.
    public func probability(_ index: Int) -> Double {
        cumulative[index] - (index == 0 ? 0 : cumulative[index - 1])
    }

    /// The item whose cumulative band holds `uniform`, a number in [0, 1).
    public func item(at uniform: Double) -> Int {
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > uniform { high = middle } else { low = middle + 1 }
        }
        return low
    }

    public func sample(_ generator: inout some RandomNumberGenerator) -> Int {
        item(at: Double.random(in: 0..<1, using: &generator))
    }
}

/// A small, fast, seedable generator (SplitMix64), so a scenario posts the same way each run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
