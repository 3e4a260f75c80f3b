/// Comments a moderator took back, as readers learn of them: each run of retracted ones in a
/// sequence of messages becomes one `gap` (`retracted`) carrying the run's seqs, so a reader
/// never sees their text and still knows their seqs. One rule for the ring's replay and for
/// pages of history.
public enum RetractedRuns {
    /// `items` with each run of retracted ones replaced by `gap(from, to)`, order kept.
    public static func collapse<Item>(
        _ items: [Item], seq: (Item) -> UInt64, isRetracted: (Item) -> Bool, gap: (UInt64, UInt64) -> Item
    ) -> [Item] {
        guard items.contains(where: isRetracted) else { return items }
        var kept: [Item] = []
        var run: (from: UInt64, to: UInt64)?
        for item in items {
            if isRetracted(item) {
                run = (run?.from ?? seq(item), seq(item))
                continue
            }
            if let gone = run { kept.append(gap(gone.from, gone.to)) }
            run = nil
            kept.append(item)
        }
        if let gone = run { kept.append(gap(gone.from, gone.to)) }
        return kept
    }
}
