import FlotillaAPI
import FlotillaControllers
import FlotillaRuntime
import FlotillaStore
import FlotillaTestSupport
import KubeClient
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Controllers as swift-service-lifecycle services (a graceful shutdown lets the pass under way finish and starts no
/// other), and on an injected clock (a retry waits on it, not on the machine's).
@Suite struct ControllerLoopShutdownTests {
    final class Passes: Sendable {
        let log = Mutex<[String]>([])
        func add(_ entry: String) { log.withLock { $0.append(entry) } }
        var entries: [String] { log.withLock { $0 } }
    }

    static func slowLoop(_ client: any ObjectClient, _ passes: Passes) -> ControllerLoop {
        ControllerLoop(name: "slow", client: client, resources: [ConfigMap.descriptor], logger: Logger(label: "test")) { snapshot, _ in
            guard snapshot.objects(ConfigMap.descriptor).contains(where: { $0.name == "work" }) else { return nil }
            passes.add("started")
            try? await Task.sleep(for: .milliseconds(600))
            passes.add(Task.isCancelled ? "cancelled" : "finished")
            return .milliseconds(10)  // would run again at once if it could
        }
    }

    @Test func aGracefulShutdownFinishesThePassUnderWay() async throws {
        let client = StoreObjectClient(store: ResourceStore.memory())
        let passes = Passes()
        let group = ServiceGroup(configuration: .init(services: [.init(service: Self.slowLoop(client, passes))], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        _ = try await client.create(ConfigMap.descriptor, ConfigMap(metadata: ObjectMeta(name: "work", namespace: "default")).json())
        try await waitUntil("a pass under way") { passes.entries.contains("started") }
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(passes.entries == ["started", "finished"], "\(passes.entries)")
    }

    @Test func aLongRunnerGivesItsBodyTheGraceThenCancels() async throws {
        let ended = Passes()
        let runner = LongRunner(grace: .milliseconds(300)) {
            // A body that ignores graceful shutdown: cancelled once the grace is over.
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
            ended.add("cancelled")
        }
        let group = ServiceGroup(configuration: .init(services: [.init(service: runner)], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(100))
        let asked = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(ended.entries == ["cancelled"])
        #expect(ContinuousClock.now - asked >= .milliseconds(300))
    }

    @Test func aRetryWaitsOnTheInjectedClock() async throws {
        let client = StoreObjectClient(store: ResourceStore.memory())
        let clock = ManualRuntimeClock()
        let passes = Passes()
        let loop = ControllerLoop(name: "retrying", client: client, resources: [ConfigMap.descriptor], clock: clock,
                                  logger: Logger(label: "test")) { snapshot, _ in
            guard snapshot.objects(ConfigMap.descriptor).contains(where: { $0.name == "work" }) else { return nil }
            passes.add("pass")
            return .seconds(30)  // failed: try again in 30 s
        }
        let running = Task { await loop.run() }
        _ = try await client.create(ConfigMap.descriptor, ConfigMap(metadata: ObjectMeta(name: "work", namespace: "default")).json())
        try await waitUntil("the first pass") { passes.entries.count == 1 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(passes.entries.count == 1, "no retry before the clock moves")
        clock.advance(by: .seconds(29))
        try await Task.sleep(for: .milliseconds(100))
        #expect(passes.entries.count == 1)
        clock.advance(by: .seconds(1))
        try await waitUntil("the retry, 30 s later on the clock") { passes.entries.count == 2 }
        running.cancel()
        await running.value
    }
}
