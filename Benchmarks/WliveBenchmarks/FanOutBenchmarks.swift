import Benchmark
import Foundation
import WliveLoad
import WliveProtocol
import WliveServer

/// One gateway loop fanning comments out to 10,000 real subscribers over loopback TCP, counting
/// the write system calls per delivered comment. The subscribers are a `wlive-load` child
/// process: one process may hold 20,000 descriptors here, and both ends would not fit.
func registerFanOutBenchmarks() {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, writesPerThousand],
        scalingFactor: .one, maxDuration: .seconds(10), maxIterations: 40)

    for (name, burst) in [("one comment", 1), ("burst of 10 comments", 10)] {
        Benchmark("Fan-out: \(name) to 10,000 subscribers on one loop", configuration: configuration) { benchmark in
            try await FanOutRig.shared!.measure(benchmark, burst: burst)
        } setup: {
            FanOutRig.shared = try FanOutRig(subscribers: 10_000)
        } teardown: {
            FanOutRig.shared?.stop()
            FanOutRig.shared = nil
        }
    }
}

/// Write calls per 1,000 delivered comments (1,000 = one write per comment per subscriber).
let writesPerThousand = BenchmarkMetric.custom(
    "write calls per 1,000 deliveries", polarity: .prefersSmaller, useScalingFactor: false)

/// A one-loop gateway with one channel, and a child process holding its subscribers.
final class FanOutRig: @unchecked Sendable {
    nonisolated(unsafe) static var shared: FanOutRig?
    let gateway: Gateway
    let subscribers: Int
    private let child = Process()
    static let channel = ChannelID(rawValue: 42)

    init(subscribers: Int) throws {
        self.subscribers = subscribers
        var scenario = Scenario()
        scenario.gatewayWorkers = 1
        var configuration = GatewayConfiguration()
        configuration.bannedWordsFile = "../config/banned-words.txt"
        gateway = try InProcessGateway.start(configuration, for: &scenario, openChannels: [Self.channel])
        let candidates = [
            ProcessInfo.processInfo.environment["WLIVE_LOAD"], "../.build/release/wlive-load", ".build/release/wlive-load",
        ]
        guard let tool = candidates.compactMap({ $0 }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw SetupError(
                "build the load generator first: swift build -c release --product wlive-load (in the repository root)")
        }
        child.executableURL = URL(fileURLWithPath: tool)
        child.arguments = [
            "--ws-url", scenario.wsURL, "--http-url", scenario.httpURL, "--set", "channel_ids=\(Self.channel)",
            "--subscribers", "\(subscribers)", "--post-rate", "0", "--duration", "3600", "--loops", "2",
            "--source-addresses", "127.0.0.2-127.0.0.9", "--set", "connect_concurrency=2000",
        ]
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        let deadline = Date().addingTimeInterval(60)
        while gateway.loopStatistics.first?.subscribers ?? 0 < subscribers {
            guard Date() < deadline, child.isRunning else { throw SetupError("subscribers did not all connect") }
            usleep(10_000)
        }
    }

    /// Publishes `burst` comments back to back, per iteration, and waits until the loop has
    /// written every one to every subscriber.
    func measure(_ benchmark: Benchmark, burst: Int) async throws {
        let before = gateway.loopStatistics[0]
        var target = before.delivered
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for index in 0..<burst {
                _ = await gateway.publish(
                    .init(channelID: Self.channel, userID: "bench", source: 2, biz: "bench", content: "comment \(index)"))
            }
            target += burst * subscribers
            while gateway.loopStatistics[0].delivered < target { usleep(20) }
        }
        benchmark.stopMeasurement()
        let after = gateway.loopStatistics[0]
        let delivered = after.delivered - before.delivered
        benchmark.measurement(writesPerThousand, delivered > 0 ? (after.writeCalls - before.writeCalls) * 1000 / delivered : 0)
    }

    func stop() {
        child.terminate()
        child.waitUntilExit()
        gateway.shutdown()
    }
}
