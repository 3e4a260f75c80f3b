import Foundation
import Synchronization
import WliveServer

/// Runs a scenario from start to report: in this process, or over `procs` child processes whose
/// reports are merged. The phases are the same either way: make the channels, connect every
/// subscriber, agree on a go time, post, drain, report.
public enum LoadDriver {
    /// Runs `scenario` against its target, or against `gateway` when it runs in this process.
    /// `progress` is called about once a second with the totals so far.
    public static func run(
        _ scenario: Scenario, gateway: Gateway? = nil, executable: String? = nil,
        progress: (@Sendable (ProgressSnapshot) -> Void)? = nil
    ) throws -> LoadReport {
        let channels = try ChannelSetup.channels(for: scenario)
        let plan = RunPlan(scenario: scenario, channels: channels)
        let pids = scenario.gatewayProcessIDs
        let sample: () -> ProcessStatistics? = {
            gateway != nil ? ProcessStatistics.current() : (pids.isEmpty ? nil : ProcessStatistics.read(pids))
        }
        let atStart = sample()
        var report: LoadReport
        var atGo: ProcessStatistics?
        if scenario.procs > 1 {
            guard let executable else { throw SetupError("procs > 1 needs the wlive-load executable to start its children") }
            (report, atGo) = try runChildren(plan, executable: executable, sample: sample, progress: progress)
        } else {
            let run = try LoadRun(plan: plan)
            let ticker = progress.map { report in ProgressTicker(every: 1, measure: { run.progress() }, report: report) }
            try run.connect()
            let go = monotonicNanoseconds() + 20_000_000
            run.start(go: go)
            atGo = sample()
            let gatewayAtGo = gateway?.loopStatistics
            run.waitUntilDrained()
            let connectionsPerLoop = gateway?.loopStatistics.map(\.accepted)
            ticker?.stop()
            report = run.finish()
            report.connectionsPerLoop = connectionsPerLoop
            if let gateway, let gatewayAtGo {
                let now = gateway.loopStatistics
                report.gatewayWriteCalls = now.map(\.writeCalls).reduce(0, +) - gatewayAtGo.map(\.writeCalls).reduce(0, +)
                report.gatewayDrains = now.map(\.drains).reduce(0, +) - gatewayAtGo.map(\.drains).reduce(0, +)
                report.gatewaySlowConsumerActions = now.map(\.slowConsumerActions).reduce(0, +)
            }
        }
        report.processes = scenario.procs
        if let end = sample() {
            let posted = scenario.postRate > 0 && scenario.duration > 0
            if let begin = posted ? atGo : atStart { report.serverCPUSeconds = end.cpuSeconds - begin.cpuSeconds }
            report.serverPeakRSSBytes = end.peakRSSBytes
            report.serverCPUIncludesLoadGenerator = gateway != nil
        }
        return report
    }

    /// What a child process and its parent say to each other, one JSON object per line: the
    /// child reports `ready`, `progress` and its `result` on stdout; the parent answers `go`.
    public struct ChildMessage: Codable, Sendable {
        public var event: String
        public var progress: ProgressSnapshot?
        public var report: LoadReport?
        public var error: String?
        public var go: UInt64?

        public init(
            event: String, progress: ProgressSnapshot? = nil, report: LoadReport? = nil, error: String? = nil, go: UInt64? = nil
        ) {
            self.event = event
            self.progress = progress
            self.report = report
            self.error = error
            self.go = go
        }

        func line() -> Data {
            var data = try! JSONEncoder().encode(self)
            data.append(0x0A)
            return data
        }
    }

    /// The child's side: runs its share of `plan` and speaks `ChildMessage`s on stdin/stdout.
    public static func runChild(_ plan: RunPlan) -> Int32 {
        let output = FileHandle.standardOutput
        do {
            let run = try LoadRun(plan: plan)
            try run.connect()
            output.write(ChildMessage(event: "ready").line())
            guard let line = readLine(), let message = try? JSONDecoder().decode(ChildMessage.self, from: Data(line.utf8)),
                let go = message.go
            else {
                _ = run.finish()
                return 1
            }
            run.start(go: go)
            let ticker = ProgressTicker(
                every: 1, measure: { run.progress() },
                report: { snapshot in
                    output.write(ChildMessage(event: "progress", progress: snapshot).line())
                })
            run.waitUntilDrained()
            ticker.stop()
            output.write(ChildMessage(event: "result", report: run.finish()).line())
            return 0
        } catch {
            output.write(ChildMessage(event: "error", error: "\(error)").line())
            return 1
        }
    }

    private static func runChildren(
        _ plan: RunPlan, executable: String, sample: () -> ProcessStatistics?,
        progress: (@Sendable (ProgressSnapshot) -> Void)?
    ) throws -> (LoadReport, ProcessStatistics?) {
        let count = plan.scenario.procs
        let planFile = FileManager.default.temporaryDirectory.appendingPathComponent("wlive-load-plan-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: planFile) }
        try JSONEncoder().encode(plan).write(to: planFile)
        let children = try (0..<count).map { index in
            try ChildProcess(executable: executable, planFile: planFile.path, index: index, of: count)
        }
        defer { for child in children { child.terminate() } }
        let deadline = Date().addingTimeInterval(
            120 + (plan.scenario.connectRate > 0 ? Double(plan.scenario.subscribers) / plan.scenario.connectRate : 0))
        while !children.allSatisfy(\.isReady) {
            if let failure = children.compactMap(\.failure).first { throw SetupError("a child process failed: \(failure)") }
            guard Date() < deadline else { throw SetupError("child processes not ready in time") }
            usleep(10_000)
        }
        let go = monotonicNanoseconds() + 200_000_000
        for child in children { child.send(ChildMessage(event: "go", go: go)) }
        let atGo = sample()
        let ticker = progress.map { report in
            ProgressTicker(
                every: 1, measure: { children.reduce(into: ProgressSnapshot()) { $0.add($1.latestProgress) } }, report: report)
        }
        while !children.allSatisfy({ $0.result != nil || $0.failure != nil }) { usleep(10_000) }
        ticker?.stop()
        if let failure = children.compactMap(\.failure).first { throw SetupError("a child process failed: \(failure)") }
        var report = LoadReport()
        for child in children { report.merge(child.result!) }
        return (report, atGo)
    }
}

/// Calls `report` with `measure()` every `seconds` on its own thread until stopped.
final class ProgressTicker: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    init(
        every seconds: Double, measure: @escaping @Sendable () -> ProgressSnapshot,
        report: @escaping @Sendable (ProgressSnapshot) -> Void
    ) {
        let thread = Thread { [self] in
            var next = Date().addingTimeInterval(seconds)
            while !stopped.load(ordering: .relaxed) {
                if Date() >= next {
                    report(measure())
                    next = next.addingTimeInterval(seconds)
                }
                usleep(20_000)
            }
            done.signal()
        }
        thread.start()
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        done.wait()
    }
}

/// A `wlive-load child` process, its messages read on a thread of their own.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `state` is behind a lock; `process` and the pipes are used from one thread.
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let state = Mutex<(ready: Bool, progress: ProgressSnapshot, result: LoadReport?, failure: String?)>(
        (false, .init(), nil, nil))

    init(executable: String, planFile: String, index: Int, of count: Int) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["child", "--plan", planFile, "--index", "\(index)", "--count", "\(count)"]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let handle = output.fileHandleForReading
        Thread { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty {
                    // The child closed its output: it has exited, with or without its result.
                    self.state.withLock { if $0.result == nil, $0.failure == nil { $0.failure = "exited without a result" } }
                    break
                }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[(newline + 1)...])
                    guard let message = try? JSONDecoder().decode(LoadDriver.ChildMessage.self, from: line) else { continue }
                    self.state.withLock { state in
                        switch message.event {
                        case "ready": state.ready = true
                        case "progress": state.progress = message.progress ?? state.progress
                        case "result": state.result = message.report
                        default: state.failure = message.error ?? "unknown message \(message.event)"
                        }
                    }
                }
            }
        }.start()
    }

    var isReady: Bool { state.withLock { $0.ready } }
    var latestProgress: ProgressSnapshot { state.withLock { $0.progress } }
    var result: LoadReport? { state.withLock { $0.result } }
    var failure: String? { state.withLock { $0.failure } }

    func send(_ message: LoadDriver.ChildMessage) { input.fileHandleForWriting.write(message.line()) }

    func terminate() { if process.isRunning { process.terminate() } }
}
