// The spam benchmark's workload as a plain loop, for `spam-instructions.sh`: built in one module
// with the WliveSpam sources and the benchmark's data generator, and run under cachegrind.
@main struct SpamCheckLoop {
    static func main() {
        let dictionary = BannedWordDictionary(words: SpamBenchmarkData.dictionaryWords())
        let comments = SpamBenchmarkData.cleanComments(dictionary: dictionary)
        let users = (0..<1009).map { "2:\(100_000 + $0)" }
        var filter = SpamFilter(dictionary: dictionary)
        let checks = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 20_000
        var refused = 0
        for index in 0..<checks {
            if filter.check(channel: UInt64(index % 997), user: users[index % users.count],
                            content: comments[index % comments.count], now: Double(index) * 0.002) != nil {
                refused += 1
            }
        }
        precondition(refused == 0, "the benchmark's comments are all clean")
    }
}
