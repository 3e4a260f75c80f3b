/// A multi-pattern matcher (Aho–Corasick) over sequences of Unicode scalar values.
///
/// Scanning a comment once finds any of thousands of words, with no backtracking: each scalar
/// costs one symbol lookup and, on average, about one child lookup.
///
/// The layout is built for a 10,000-word dictionary of Chinese and ASCII words, where nearly
/// every Chinese character of a comment starts some word, so the scan is almost always at a
/// shallow node looking for a child it does not have. Memory latency, not arithmetic, is the cost:
/// - scalars become dense symbol ids through a flat table (two bytes per BMP scalar, up to the
///   highest one used), so a scalar that occurs in no pattern sends the scan back to the root
///   without touching the trie;
/// - the root, which has a child for nearly every symbol, has a dense array of children;
/// - every other node is one record in a single array of 32-bit words: its failure link, its
///   output, its child count, the children's two-byte symbols (sorted) and their targets. A node
///   and its children usually share a cache line; a node with many children also has a 64-bit
///   filter of their symbols, which turns most lookups of an absent child into a single test;
///   symbols are compared four at a time in a 64-bit word, without the unpredictable branches of
///   a scan;
/// - records are laid out breadth first, so the shallow nodes that nearly every step visits sit
///   together rather than scattered over the whole trie;
/// - the commonest step of all, from a child of the root, is decided without touching the trie
///   when the two symbols start no pattern: a 16 KB bitmap of the patterns' first two symbols
///   (hashed; wrong about one pair in twenty for 10,000 words, which then take the slow path)
///   says so, and the failure link of a root child is the root, so the scan moves
///   straight to the root's child for the new symbol;
/// - each node's output is resolved at build time to the first pattern ending there or at any
///   node on its failure chain, and a flag on every edge says whether its target has one, so a
///   match is known the moment its node is reached;
/// - Latin letters and digits, which a scan otherwise follows through one or two child searches
///   and failure links each (every pair of letters starts some word of a big dictionary), step in
///   one load from the nodes of depth one and two spelled in them: those nodes have a dense row of
///   their complete transitions, failure links already followed, for the 36 letters and digits.
/// About 20 bytes per trie node in all: under a megabyte for 10,000 words.
struct AhoCorasickAutomaton: Sendable {
    /// Word offsets within a node record.
    private enum Field {
        static let failure = 0
        static let output = 1
        /// The child count in bits 0–15; in bits 16–31 the node's row of `denseTargets` plus one,
        /// or 0 for a node without one.
        static let childCount = 2
        /// Then, for nodes with more than `filteredChildren` children, a 64-bit filter with a bit
        /// per child symbol modulo 64 (two words); then the symbols, two per word; then the targets.
        static let rest = 3
    }

    /// Nodes with more children than fit one 64-bit comparison carry a filter that rules out
    /// most absent symbols with one test, before any search.
    private static let filteredChildren = 4

    /// Set on a target (an edge, or a root child) whose node has an output.
    private static let outputFlag: UInt32 = 1 << 31

    /// Symbol ids of BMP scalars up to the highest one used; 0 means "in no pattern".
    private let bmpSymbols: [UInt16]
    /// Scalars beyond the BMP used in patterns, sorted, and their symbol ids.
    private let astralScalars: [UInt32]
    private let astralSymbols: [UInt16]
    /// The root's child (a record offset, flagged) for each symbol id; 0 (the root) where there is none.
    private let rootTargets: [UInt32]
    /// A bit per pattern-starting symbol pair, hashed (see `bigramProbe`).
    private let bigrams: [UInt64]
    /// Complete transitions (flagged targets) of the nodes that have a dense row, 36 per row,
    /// indexed by `denseIndex`.
    private let denseTargets: [UInt32]
    /// Records before this offset (after the root's) are the root's children.
    private let rootChildrenEnd: Int
    /// The node records; the root's is at offset 0. Padded so that an eight-symbol load from the
    /// last record stays inside the array.
    private let records: [UInt32]
    /// Trie nodes, the root included.
    let nodeCount: Int

    /// Approximate bytes held, for logs and tests.
    var memoryFootprint: Int {
        bmpSymbols.count * 2 + astralScalars.count * 6 + rootTargets.count * 4 + records.count * 4 + denseTargets.count * 4
    }

    /// Symbols with dense rows: a–z then 0–9, the Latin letters and digits of a normalised text.
    private static let denseAlphabet: UInt32 = 36

    /// The index of `scalar` in the dense alphabet, or `denseAlphabet` or more when it is not in it.
    @inline(__always)
    private static func denseIndex(_ scalar: UInt32) -> UInt32 {
        let letter = scalar &- 0x61
        if letter < 26 { return letter }
        let digit = scalar &- 0x30
        return digit < 10 ? 26 + digit : denseAlphabet
    }

    /// Nodes spelled in dense symbols get a dense row up to this depth: the first two levels are
    /// where a scan of Latin text spends its time, and they are small (at most 36 + 36² rows).
    private static let denseDepth = 2

    /// A trie node while building.
    private struct BuildNode {
        var children: [(symbol: UInt16, node: Int)] = []
        var failure = 0
        var output: Int32 = -1

        func child(_ symbol: UInt16) -> Int? {
            children.first { $0.symbol == symbol }?.node
        }
    }

    /// Builds the automaton; a match reports the index of the pattern in `patterns`.
    ///
    /// Empty patterns are ignored. Symbol ids are two bytes: should the patterns use more than
    /// 65,535 distinct scalars (no real dictionary does), the patterns needing more are ignored.
    init(patterns: [[UInt32]]) {
        // Symbol ids, in order of first use.
        var symbolOf: [UInt32: UInt16] = [:]
        var accepted: [Int] = []
        for (index, pattern) in patterns.enumerated() where !pattern.isEmpty {
            let newSymbols = Set(pattern.filter { symbolOf[$0] == nil })
            guard symbolOf.count + newSymbols.count <= Int(UInt16.max) else { continue }
            for scalar in pattern where symbolOf[scalar] == nil {
                symbolOf[scalar] = UInt16(symbolOf.count + 1)
            }
            accepted.append(index)
        }
        let maxBMP = symbolOf.keys.filter { $0 < 0x1_0000 }.max()
        var bmpSymbols = [UInt16](repeating: 0, count: maxBMP.map { Int($0) + 1 } ?? 0)
        var astral: [(scalar: UInt32, symbol: UInt16)] = []
        for (scalar, symbol) in symbolOf {
            if scalar < 0x1_0000 { bmpSymbols[Int(scalar)] = symbol } else { astral.append((scalar, symbol)) }
        }
        astral.sort { $0.scalar < $1.scalar }

        // The trie. Children lists are short except the root's, which is dense from the start.
        var rootChildren = [Int](repeating: 0, count: symbolOf.count + 1)
        var trie = [BuildNode()]
        for index in accepted {
            var node = 0
            for scalar in patterns[index] {
                let symbol = symbolOf[scalar]!
                if let next = node == 0
                    ? (rootChildren[Int(symbol)] == 0 ? nil : rootChildren[Int(symbol)]) : trie[node].child(symbol)
                {
                    node = next
                    continue
                }
                trie.append(BuildNode())
                if node == 0 {
                    rootChildren[Int(symbol)] = trie.count - 1
                } else {
                    trie[node].children.append((symbol, trie.count - 1))
                }
                node = trie.count - 1
            }
            if trie[node].output < 0 { trie[node].output = Int32(index) }
        }

        // Failure links and inherited outputs, breadth first so that every node's failure
        // target (always shallower) is complete before the node is.
        var queue = rootChildren.filter { $0 != 0 }
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for (symbol, child) in trie[node].children {
                var fallback = trie[node].failure
                var target = 0
                while true {
                    if fallback == 0 {
                        target = rootChildren[Int(symbol)]
                        break
                    }
                    if let next = trie[fallback].child(symbol) {
                        target = next
                        break
                    }
                    fallback = trie[fallback].failure
                }
                trie[child].failure = target
                if trie[child].output < 0 { trie[child].output = trie[target].output }
                queue.append(child)
            }
        }

        // Dense rows, breadth first so that a failure target's row (always shallower) is ready.
        var denseSymbols = [UInt16](repeating: 0, count: Int(Self.denseAlphabet))  // 0: in no pattern
        for (scalar, symbol) in symbolOf where Self.denseIndex(scalar) < Self.denseAlphabet {
            denseSymbols[Int(Self.denseIndex(scalar))] = symbol
        }
        let isDenseSymbol = Set(denseSymbols.filter { $0 != 0 })
        var denseRow = [Int](repeating: -1, count: trie.count)  // per node, its row or -1
        var denseNodes: [Int] = []
        for symbol in denseSymbols where symbol != 0 && rootChildren[Int(symbol)] != 0 {
            denseRow[rootChildren[Int(symbol)]] = denseNodes.count
            denseNodes.append(rootChildren[Int(symbol)])
        }
        var depthOneDense = denseNodes
        for _ in 1..<Self.denseDepth {
            var next: [Int] = []
            for node in depthOneDense {
                for (symbol, child) in trie[node].children where isDenseSymbol.contains(symbol) {
                    denseRow[child] = denseNodes.count + next.count
                    next.append(child)
                }
            }
            denseNodes += next
            depthOneDense = next
        }
        // Rows as node indices for now; flagged record offsets once the layout is known.
        var denseNodeTargets = [Int](repeating: 0, count: denseNodes.count * Int(Self.denseAlphabet))
        for (row, node) in denseNodes.enumerated() {
            let failure = trie[node].failure
            for (index, symbol) in denseSymbols.enumerated() where symbol != 0 {
                denseNodeTargets[row * Int(Self.denseAlphabet) + index] =
                    trie[node].child(symbol)
                    ?? (failure == 0
                        ? rootChildren[Int(symbol)] : denseNodeTargets[denseRow[failure] * Int(Self.denseAlphabet) + index])
            }
        }

        // Lay the records out breadth first: offsets first, then the records themselves.
        func recordLength(_ node: Int) -> Int {
            let count = trie[node].children.count
            return Field.rest + (count > Self.filteredChildren ? 2 : 0) + (count + 1) / 2 + count
        }
        var offset = [Int](repeating: 0, count: trie.count)
        var length = recordLength(0)
        for node in queue {
            offset[node] = length
            length += recordLength(node)
        }
        precondition(length < Int(Self.outputFlag), "banned-word automaton too large")
        func target(_ node: Int) -> UInt32 {
            node == 0 ? 0 : UInt32(offset[node]) | (trie[node].output >= 0 ? Self.outputFlag : 0)
        }
        var records = [UInt32](repeating: 0, count: length + 4)
        for node in [0] + queue {
            let base = offset[node]
            let children = trie[node].children.sorted { $0.symbol < $1.symbol }
            records[base + Field.failure] = UInt32(offset[trie[node].failure])
            records[base + Field.output] = UInt32(bitPattern: trie[node].output)
            records[base + Field.childCount] = UInt32(children.count) | UInt32(denseRow[node] + 1) << 16
            var symbols = base + Field.rest
            if children.count > Self.filteredChildren {
                let filter = children.reduce(UInt64(0)) { $0 | 1 &<< UInt64($1.symbol & 63) }
                records[symbols] = UInt32(truncatingIfNeeded: filter)
                records[symbols + 1] = UInt32(truncatingIfNeeded: filter >> 32)
                symbols += 2
            }
            for (position, child) in children.enumerated() {
                records[symbols + position / 2] |= UInt32(child.symbol) << (16 * UInt32(position % 2))  // little-endian pairs
                records[symbols + (children.count + 1) / 2 + position] = target(child.node)
            }
        }

        self.bmpSymbols = bmpSymbols
        self.astralScalars = astral.map(\.scalar)
        self.astralSymbols = astral.map(\.symbol)
        var bigrams = [UInt64](repeating: 0, count: 1 << Self.bigramWordBits)
        for (first, node) in rootChildren.enumerated() where node != 0 {
            for (second, _) in trie[node].children {
                let probe = Self.bigramProbe(UInt16(first), second)
                bigrams[probe.word] |= probe.bit
            }
        }
        self.bigrams = bigrams
        self.rootChildrenEnd = rootChildren.filter { $0 != 0 }.map { offset[$0] + recordLength($0) }.max() ?? recordLength(0)
        self.rootTargets = rootChildren.map(target)
        self.records = records
        self.denseTargets = denseNodeTargets.map(target)
        self.nodeCount = trie.count
    }

    /// `bigrams` has 2^11 words.
    private static let bigramWordBits = 11

    /// Where a pair of symbols lives in `bigrams`: a word and a bit in it, both from one
    /// multiplicative hash. A pair starts some pattern only if its bit is set. (Two bits per pair
    /// would be wrong less often, but cost more instructions on every step than they save.)
    @inline(__always)
    private static func bigramProbe(_ first: UInt16, _ second: UInt16) -> (word: Int, bit: UInt64) {
        let hash = (UInt64(first) << 16 | UInt64(second)) &* 0x9E37_79B9_7F4A_7C15
        let bit: UInt64 = 1 &<< (hash >> (58 - UInt64(bigramWordBits)))  // the six bits below the word's
        return (Int(truncatingIfNeeded: hash >> (64 - UInt64(bigramWordBits))), bit)
    }

    /// The pattern that ends first in `text` (the longest of those ending at the same place), or nil.
    func firstMatch(in text: UnsafeBufferPointer<UInt32>) -> Int? {
        bmpSymbols.withUnsafeBufferPointer { bmpSymbols in
            rootTargets.withUnsafeBufferPointer { rootTargets in
                records.withUnsafeBufferPointer { records in
                    bigrams.withUnsafeBufferPointer { bigrams in
                        denseTargets.withUnsafeBufferPointer { denseTargets in
                            Scanner(
                                bmpSymbols: bmpSymbols, rootTargets: rootTargets, records: records, bigrams: bigrams,
                                denseTargets: denseTargets, rootChildrenEnd: rootChildrenEnd
                            )
                            .firstMatch(in: text, astral: self)
                        }
                    }
                }
            }
        }
    }

    /// The arrays as unchecked pointers for the scan, which indexes them only with values it built.
    private struct Scanner {
        let bmpSymbols: UnsafeBufferPointer<UInt16>
        let rootTargets: UnsafeBufferPointer<UInt32>
        let records: UnsafeBufferPointer<UInt32>
        let bigrams: UnsafeBufferPointer<UInt64>
        let denseTargets: UnsafeBufferPointer<UInt32>
        let rootChildrenEnd: Int

        @inline(__always)
        func firstMatch(in text: UnsafeBufferPointer<UInt32>, astral automaton: AhoCorasickAutomaton) -> Int? {
            var state = 0
            var previous: UInt16 = 0  // the last symbol, whose root child `state` is when shallow
            for scalar in text {
                let symbol: UInt16
                if scalar < UInt32(bmpSymbols.count) {
                    symbol = bmpSymbols[Int(scalar)]
                } else if scalar >= 0x1_0000 {
                    symbol = automaton.astralSymbol(of: scalar)
                } else {
                    symbol = 0
                }
                if symbol == 0 {
                    // In no pattern: no match can span this scalar.
                    state = 0
                    continue
                }
                var target: UInt32
                defer { previous = symbol }
                if state < rootChildrenEnd {
                    let probe = AhoCorasickAutomaton.bigramProbe(previous, symbol)
                    if state == 0 || bigrams[probe.word] & probe.bit == 0 {
                        // At the root, or at a root child with no child for `symbol`, whose
                        // failure link is the root: either way the root's child is next.
                        target = rootTargets[Int(symbol)]
                        state = Int(target & ~outputFlag)
                        if target & outputFlag != 0 { return Int(Int32(bitPattern: records[state + Field.output])) }
                        continue
                    }
                }
                let dense = AhoCorasickAutomaton.denseIndex(scalar)
                while true {
                    if state == 0 {
                        target = rootTargets[Int(symbol)]
                        break
                    }
                    let countWord = records[state + Field.childCount]
                    if countWord >= 1 << 16 && dense < AhoCorasickAutomaton.denseAlphabet {
                        target = denseTargets[Int(countWord >> 16 - 1) * Int(AhoCorasickAutomaton.denseAlphabet) + Int(dense)]
                        break
                    }
                    if let found = child(of: state, count: Int(countWord & 0xFFFF), symbol: symbol) {
                        target = found
                        break
                    }
                    state = Int(records[state + Field.failure])
                }
                state = Int(target & ~outputFlag)
                if target & outputFlag != 0 { return Int(Int32(bitPattern: records[state + Field.output])) }
            }
            return nil
        }

        /// The flagged target of `node`'s child for `symbol`, if it has one; `count` is its child count.
        @inline(__always)
        private func child(of node: Int, count: Int, symbol: UInt16) -> UInt32? {
            var symbolWords = node + Field.rest
            if count > AhoCorasickAutomaton.filteredChildren {
                let half = symbol & 32 == 0 ? records[symbolWords] : records[symbolWords + 1]
                guard half &>> UInt32(symbol & 31) & 1 != 0 else { return nil }
                symbolWords += 2
            }
            let symbols = UnsafeRawPointer(records.baseAddress! + symbolWords).assumingMemoryBound(to: UInt16.self)
            var low = 0
            var high = count
            // Halve a long run down to at most eight symbols…
            while high - low > 8 {
                let middle = (low + high) >> 1
                if symbols[middle] <= symbol { low = middle } else { high = middle }
            }
            // …then compare them four at a time in a 64-bit word, without a branch per symbol.
            // Lanes past the run read the next record: masked off.
            let pattern = UInt64(symbol) &* 0x0001_0001_0001_0001
            let remaining = high - low
            let base = UnsafeRawPointer(symbols + low)
            var hits = Self.equalLanes(base.loadUnaligned(as: UInt64.self), pattern) & Self.laneMask(remaining)
            if hits != 0 {
                return targets(symbolWords, count)[low + hits.trailingZeroBitCount >> 4]
            }
            guard remaining > 4 else { return nil }
            hits = Self.equalLanes(base.loadUnaligned(fromByteOffset: 8, as: UInt64.self), pattern) & Self.laneMask(remaining - 4)
            guard hits != 0 else { return nil }
            return targets(symbolWords, count)[low + 4 + hits.trailingZeroBitCount >> 4]
        }

        /// The targets of a node whose `count` symbols start at word `symbolWords`.
        @inline(__always)
        private func targets(_ symbolWords: Int, _ count: Int) -> UnsafePointer<UInt32> {
            records.baseAddress! + symbolWords + (count + 1) / 2
        }

        /// The top bit of each 16-bit lane of `word` equal to `pattern`'s. Exact for the lowest such
        /// lane, the only one used: a borrow can only make lanes above a match look equal.
        @inline(__always)
        private static func equalLanes(_ word: UInt64, _ pattern: UInt64) -> UInt64 {
            let difference = word ^ pattern
            return (difference &- 0x0001_0001_0001_0001) & ~difference & 0x8000_8000_8000_8000
        }

        /// The lanes of a word that hold one of the `count` symbols still in the run.
        @inline(__always)
        private static func laneMask(_ count: Int) -> UInt64 {
            count >= 4 ? ~0 : (1 &<< UInt64(16 * count)) &- 1
        }
    }

    private func astralSymbol(of scalar: UInt32) -> UInt16 {
        var low = 0
        var high = astralScalars.count
        while low < high {
            let middle = (low + high) >> 1
            if astralScalars[middle] == scalar { return astralSymbols[middle] }
            if astralScalars[middle] < scalar { low = middle + 1 } else { high = middle }
        }
        return 0
    }
}
