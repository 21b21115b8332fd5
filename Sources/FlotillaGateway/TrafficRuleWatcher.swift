import FlotillaAPI
import FlotillaRuntime
import KubeClient
import Logging
import ServiceLifecycle

/// Keeps a gateway's rules in step with the control plane's TrafficRules (list, then watch; a relist replaces them).
/// A rule the gateway cannot apply never costs a UE its path: an invalid rule, or one forwarding to an instance its
/// app does not have, leaves the rule's last good version in place (none: the rule stays out) and raises a Warning
/// event on the TrafficRule. When the control plane is unreachable the gateway keeps forwarding on the rules it has.
public struct TrafficRuleWatcher: ServiceLifecycle.Service, Sendable {
    /// The endpoints (`host:port`) an app has now, or nil when that is unknown (the rule is then taken as written).
    public typealias Instances = @Sendable (_ namespace: String, _ app: String) async -> Set<String>?

    let client: any ObjectClient
    let gateways: [EdgeDataGateway]
    let instances: Instances
    let events: EventWriter
    let logger: Logger
    /// The sites of `gateways`: the rules whose status this watcher answers for.
    let sites: Set<String>
    /// Rules put in force, for their status to say so: written in order beside the watch, so a status write never
    /// delays the next rule change reaching the gateways.
    let applied: AsyncStream<JSONValue>
    let appliedContinuation: AsyncStream<JSONValue>.Continuation

    public init(client: any ObjectClient, gateways: [EdgeDataGateway], instances: @escaping Instances = { _, _ in nil },
                logger: Logger = Logger(label: "flotilla.gateway")) {
        self.client = client
        self.gateways = gateways
        self.instances = instances
        self.events = EventWriter(client: client, component: "flotilla-gateway")
        self.logger = logger
        self.sites = Set(gateways.map(\.configuration.site))
        (applied, appliedContinuation) = AsyncStream.makeStream()
    }

    public func run() async throws {
        let informer = Informer(client: client, resource: TrafficRule.descriptor, logger: logger)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await informer.run { event in await handle(event) }
                    appliedContinuation.finish()
                }
                for await object in applied {
                    // A hold waiting for its flows' next packet is recorded when it begins, beside the others.
                    if let gateway = pendingHold(object) {
                        group.addTask {
                            await gateway.holdBegins(rule: Self.key(object))
                            await acknowledge(object)
                        }
                    } else {
                        await acknowledge(object)
                    }
                }
            }
        }
    }

    func handle(_ event: InformerEvent) async {
        switch event {
        case .synced(let objects):
            var seen: Set<String> = []
            for object in objects {
                seen.insert("\(object.namespace ?? "")/\(object.name ?? "")")
                await apply(object)
            }
            for key in gateways.first.map({ Array($0.rules.keys) }) ?? [] where !seen.contains(key) {
                for gateway in gateways { gateway.remove(rule: key) }
            }
        case .added(let object), .modified(let object):
            await apply(object)
        case .deleted(let object):
            for gateway in gateways { gateway.remove(rule: "\(object.namespace ?? "")/\(object.name ?? "")") }
        }
    }

    func apply(_ object: JSONValue) async {
        let key = Self.key(object)
        let compiled: CompiledRule?
        do {
            compiled = try CompiledRule(try TrafficRule(json: object))
        } catch let invalid as CompiledRule.Invalid {
            reject(object, "invalid: \(invalid.problems.map(\.description).joined(separator: "; "))")
            return
        } catch {
            reject(object, "cannot decode: \(error)")
            return
        }
        guard let rule = compiled else {
            for gateway in gateways { gateway.remove(rule: key) }
            return
        }
        if case .forward(let host, let port, _, true) = rule.action, let app = rule.app,
           let known = await instances(object.namespace ?? "default", app), !known.contains("\(host):\(port)") {
            reject(object, "\(host):\(port) is not an instance of \(app)")
            return
        }
        for gateway in gateways { gateway.apply(rule) }
        appliedContinuation.yield(object)
    }

    static func key(_ object: JSONValue) -> String { "\(object.namespace ?? "")/\(object.name ?? "")" }

    /// The gateway of the rule's site, when it waits to begin the rule's hold.
    func pendingHold(_ object: JSONValue) -> EdgeDataGateway? {
        guard object["spec"]?["action"]?.stringValue == "BUFFER", let site = object["spec"]?["site"]?.stringValue,
              let gateway = gateways.first(where: { $0.configuration.site == site }) else { return nil }
        return gateway.core.withLock { $0.pendingHolds[Self.key(object)] != nil } ? gateway : nil
    }

    /// Records in the rule's status that the gateway of its site has this generation in force (once per generation:
    /// the status write's own event finds it recorded). Only the rule's site answers, since its gateway is the one the
    /// UE's traffic reaches; the mobility service waits for that before it freezes a session's source. A write that
    /// meets a newer version tries again on it while its generation is the same (a newer one gets its own answer).
    func acknowledge(_ object: JSONValue) async {
        guard let site = object["spec"]?["site"]?.stringValue, sites.contains(site), let generation = object.generation,
              var rule = try? TrafficRule(json: object) else { return }
        let status = TrafficRuleStatus(site: site, observedGeneration: generation, action: rule.spec.action)
        for _ in 0..<3 where rule.status != status {
            rule.status = status
            do {
                _ = try await client.updateStatus(TrafficRule.descriptor, rule.json())
                return
            } catch where error.reason == .conflict {
                guard let fresh = try? TrafficRule(json: await client.get(TrafficRule.descriptor, namespace: object.namespace, name: object.name ?? "")),
                      fresh.metadata.generation == generation else { return }
                rule = fresh
            } catch {
                logger.debug("cannot record the rule in force", metadata: ["rule": "\(object.name ?? "")", "error": "\(error)"])
                return
            }
        }
    }

    func reject(_ object: JSONValue, _ why: String) {
        let kept = gateways.first?.rules["\(object.namespace ?? "")/\(object.name ?? "")"] != nil
        let message = "\(why); " + (kept ? "the gateways keep the rule's last good version" : "the gateways do not apply it")
        logger.warning("traffic rule not applied", metadata: ["rule": "\(object.name ?? "")", "reason": "\(message)"])
        events.record(object, type: "Warning", reason: "TrafficRuleNotApplied", message: message)
    }
}
