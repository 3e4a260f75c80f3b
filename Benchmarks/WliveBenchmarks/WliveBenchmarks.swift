import Benchmark

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1000)
    registerCodecBenchmarks()
    registerRingBenchmarks()
    registerSpamBenchmarks()
    registerFanOutBenchmarks()
}
