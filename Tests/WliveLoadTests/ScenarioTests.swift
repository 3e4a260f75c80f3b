import Foundation
import Testing

@testable import WliveLoad

@Suite("Scenario files, flags and checks")
struct ScenarioTests {
    static let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("loadtest/scenarios")

    @Test func everyShippedScenarioLoads() async throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.scenarios.path).filter { $0.hasSuffix(".yaml") }
            .sorted()
        #expect(
            names == [
                "cluster-hop.yaml", "cluster-hot.yaml", "connect-storm.yaml", "hot-channel.yaml", "likes.yaml",
                "many-channels.yaml", "moderation.yaml",
                "post-throughput.yaml",
                "resume-storm.yaml", "slow-readers.yaml", "smoke.yaml", "spam-mix.yaml",
            ])
        for name in names {
            let scenario = try await ScenarioLoader.load(path: Self.scenarios.appendingPathComponent(name).path)
            #expect(scenario.name == String(name.dropLast(5)))
        }
        let hot = try await ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("hot-channel.yaml").path)
        #expect(hot.subscribers == 10_000 && hot.channels == 1 && hot.postRate == 100)
        #expect(hot.expect.maxP99Milliseconds == 50 && hot.expect.maxLoss == 0 && hot.expect.allConnected == true)
        let many = try await ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("many-channels.yaml").path)
        #expect(many.distribution == "zipf" && many.channels == 1000 && many.postRate == 2000)
        let resume = try await ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("resume-storm.yaml").path)
        #expect(resume.prefill == 100 && resume.resumeSince == 0 && resume.subscribers == 10_000 && resume.postRate == 0)
        let spam = try await ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("spam-mix.yaml").path)
        #expect(spam.spamShare == 0.2 && spam.expect.spamRefused == true)
        let moderation = try await ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("moderation.yaml").path)
        #expect(moderation.deleteShare == 0.1 && moderation.expect.maxLoss == 0)
        let likes = try await ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("likes.yaml").path)
        #expect(likes.likeRate == 10_000 && likes.channels == 1)
    }

    @Test func flagsOverrideTheFile() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("wlive-load-\(UUID()).yaml")
        try "subscribers: 50\nchannels: 5\nexpect:\n  max_loss: 3\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let scenario = try await ScenarioLoader.load(
            path: file.path, overrides: [("channels", "7"), try ScenarioLoader.override("expect.max_loss=0")])
        #expect(scenario.subscribers == 50 && scenario.channels == 7 && scenario.expect.maxLoss == 0)
    }

    @Test func badValuesNameTheirKey() {
        var scenario = Scenario()
        #expect(throws: ScenarioError.self) { try scenario.set("subscribers", "many") }
        #expect(throws: ScenarioError.self) { try scenario.set("slow_readers", "1.5") }
        #expect(throws: ScenarioError.self) { try scenario.set("target", "nchan") }
        #expect(throws: ScenarioError.self) { try scenario.set("no_such_key", "1") }
        #expect(throws: ScenarioError.self) { try scenario.set("source_addresses", "127.0.0.9-127.0.0.2") }
        #expect(throws: ScenarioError.self) { try ScenarioLoader.override("subscribers") }
        do {
            try scenario.set("channels", "0")
            Issue.record("0 channels accepted")
        } catch {
            #expect(error.key == "channels")
        }
    }

    @Test func combinationsAreChecked() throws {
        var generic = Scenario()
        try generic.set("target", "generic")
        #expect(throws: ScenarioError.self) { try generic.validated() }
        try generic.set("sub_url", "ws://127.0.0.1:8090/sub/{channel}")
        try generic.set("pub_url", "http://127.0.0.1:8090/pub/{channel}")
        _ = try generic.validated()
        try generic.set("spam_share", "0.1")
        #expect(throws: ScenarioError.self) { try generic.validated() }
        try generic.set("spam_share", "0")
        try generic.set("delete_share", "0.1")
        #expect(throws: ScenarioError.self) { try generic.validated() }
        #expect(throws: ScenarioError.self) { try generic.set("delete_share", "1.5") }
        var long = Scenario()
        try long.set("comment_size", "101")
        #expect(throws: ScenarioError.self) { try long.validated() }
    }

    @Test func sourceAddressesAndEndpointsParse() throws {
        #expect(
            try SourceAddresses.parse("127.0.0.2-127.0.0.4, 127.0.1.1") == ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.1.1"])
        #expect(throws: ScenarioError.self) { try SourceAddresses.parse("127.0.0.2-127.0.1.4") }
        #expect(throws: ScenarioError.self) { try SourceAddresses.parse("") }
        #expect(try Endpoint.parse("ws://127.0.0.1:8080/ws", key: "k") == Endpoint(host: "127.0.0.1", port: 8080, target: "/ws"))
        #expect(try Endpoint.parse("http://localhost/live/", key: "k") == Endpoint(host: "127.0.0.1", port: 80, target: "/live/"))
        #expect(try Endpoint.parse("ws://h:1", key: "k").target == "/")
        #expect(try Endpoint.parse("ws://h:1/sub/{channel}?x=1", key: "k").replacing(channel: "c7").target == "/sub/c7?x=1")
        for bad in ["wss://h/ws", "ws://:80/", "http://h:0/", "http://h:x/", "ftp://h/"] {
            #expect(throws: ScenarioError.self, "\(bad)") { try Endpoint.parse(bad, key: "k") }
        }
        // Several nodes: a comma list, each URL checked.
        #expect(
            try Endpoint.parseList("ws://h:1/ws, ws://h:2/ws", key: "k").map(\.port) == [1, 2])
        #expect(throws: ScenarioError.self) { try Endpoint.parseList("ws://h:1/ws,", key: "k") }
        #expect(throws: ScenarioError.self) { try Endpoint.parseList("ws://h:1/ws,ftp://h/", key: "k") }
    }

    @Test func subscribersAreSplitOverProcessesAndSlowReadersCounted() {
        var scenario = Scenario()
        scenario.subscribers = 10
        scenario.slowReaders = 0.3
        let plans = (0..<3).map {
            RunPlan(scenario: scenario, channels: ["a", "b", "c", "d"], processIndex: $0, processCount: 3)
        }
        #expect(plans.map { Array($0.subscriberNumbers) } == [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]])
        #expect((0..<10).filter { plans[0].isSlowReader($0) }.count == 3)
        #expect(plans[0].channelIndex(ofSubscriber: 6) == 2)
        #expect(plans[0].posts && !plans[1].posts)
    }
}
