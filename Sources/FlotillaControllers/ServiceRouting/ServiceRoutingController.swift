import FlotillaAPI
import FlotillaRuntime
import Foundation
import KubeClient
import Logging

/// Karmada's MultiClusterService and the MCS API's ServiceExport / ServiceImport, carried out: watches the members'
/// own EndpointSlices (one informer per member) and the control plane's routing objects, and writes what the pure
/// `ServiceRoutes` says — a Work per consumer and provider holding the imported slices (the execution controller
/// applies them, and deletes them when the Work goes), the ServiceImports, and the status and events of every
/// MultiClusterService and ServiceExport. A member's slice change reaches its consumers' Works in the next pass.
public actor ServiceRoutingController {
    let client: any ObjectClient
    let connections: ClusterConnections
    let clock: any TimeSource
    let logger: Logger
    let events: EventWriter
    private var members: MemberInformers?
    private weak var running: ControllerLoop?
    /// Keys of the Works this controller wrote (labelled `ServiceRoutes.routeLabel`), kept from the changes: a
    /// fleet's hundred thousand Works were scanned for the label on every pass.
    private var routeWorks: Set<String> = []

    public init(client: any ObjectClient, connections: ClusterConnections, clock: any TimeSource = SystemTimeSource(),
                logger: Logger = Logger(label: "flotilla.service-routing")) {
        self.client = client
        self.connections = connections
        self.clock = clock
        self.logger = logger
        self.events = EventWriter(client: client, component: "service-routing-controller", clock: clock)
    }

    public func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        let loop = ControllerLoop(name: "service-routing", client: client, informers: informers,
            resources: [MultiClusterService.descriptor, ServiceExport.descriptor, ServiceImport.descriptor, Service.descriptor,
                        Cluster.descriptor, ResourceBinding.descriptor, Work.descriptor],
            statusBlind: [MultiClusterService.descriptor, ServiceExport.descriptor, ServiceImport.descriptor, Service.descriptor,
                          ResourceBinding.descriptor, Work.descriptor],
            clock: runtimeClock(clock), logger: logger) { [weak self] snapshot, changes in
            await self?.reconcile(snapshot, changes)
        }
        running = loop
        members = MemberInformers(connections: connections, resource: EndpointSlice.descriptor,
            query: ListQuery(labelSelector: "\(EndpointSlice.managedByLabel)=\(EndpointSlice.siteController)"), logger: logger) { [weak loop] _, _ in
            loop?.poke()
        }
        return loop
    }

    public func stop() async { await members?.stop() }

    func reconcile(_ snapshot: ObjectSnapshot, _ changes: Changes = Changes(full: true)) async -> Duration? {
        if changes.full {
            routeWorks = Set(snapshot.objects(Work.descriptor).filter { $0.labels[ServiceRoutes.routeLabel] != nil }.map(WatchedSet.key))
        } else {
            for key in changes.keys(Work.descriptor) {
                if snapshot.object(Work.descriptor, key: key)?.labels[ServiceRoutes.routeLabel] != nil { routeWorks.insert(key) } else { routeWorks.remove(key) }
            }
        }
        let multiClusterServices = snapshot.typed(MultiClusterService.self)
        let exports = snapshot.typed(ServiceExport.self)
        // Members are watched only while something is routed: a fleet without MultiClusterServices or exports keeps
        // no slice watch open (and decodes no Cluster).
        let routing = !multiClusterServices.isEmpty || !exports.isEmpty
        await members?.reconcile(routing ? snapshot.typed(Cluster.self) : [])
        guard routing || !snapshot.objects(ServiceImport.descriptor).isEmpty || !routeWorks.isEmpty else { return nil }
        let clusters = snapshot.typed(Cluster.self)
        let memberSlices = await members?.all() ?? [:]
        let services = Dictionary(snapshot.typed(Service.self).map { ("\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")", $0) },
            uniquingKeysWith: { a, _ in a })
        var bindingClusters: [String: [String]] = [:]
        for binding in snapshot.objects(ResourceBinding.descriptor) {
            let kind = binding["spec"]?["resource"]?["kind"]?.stringValue
            guard kind == "Service" || kind == "ServiceExport" else { continue }
            bindingClusters[WatchedSet.key(binding)] = (binding["spec"]?["clusters"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }
        let plan = ServiceRoutes(ServiceRoutes.Inputs(services: services, multiClusterServices: multiClusterServices, exports: exports,
            clusters: Dictionary(clusters.map { ($0.metadata.name ?? "", $0) }, uniquingKeysWith: { a, _ in a }),
            bindingClusters: bindingClusters,
            memberSlices: memberSlices.mapValues { $0.compactMap { try? EndpointSlice(json: $0) } }))
        var retry: Duration?
        func failed(_ error: APIError) { retry = ControllerLoop.retryDelay(for: error, current: retry) }
        do throws(APIError) { try await writeWorks(plan, snapshot) } catch { failed(error) }
        do throws(APIError) { try await writeImports(plan, snapshot) } catch { failed(error) }
        do throws(APIError) { try await writeStatus(plan, multiClusterServices, exports) } catch { failed(error) }
        return retry
    }

    func writeWorks(_ plan: ServiceRoutes, _ snapshot: ObjectSnapshot) async throws(APIError) {
        // The route Works by key, looked up one by one: typing every Work of the fleet to find them held a typed copy
        // of each (100,000 at fleet scale) for as long as anything was routed.
        let existing = Dictionary(routeWorks.compactMap { key in snapshot.typed(Work.self, key: key).map { (key, $0) } },
                                  uniquingKeysWith: { a, _ in a })
        var wanted = Set(plan.held.map { "\(WorkRendering.executionNamespace($0.consumer))/\($0.name)" })
        var firstError: APIError?
        for (key, slices) in plan.works.sorted(by: { $0.key < $1.key }) {
            let namespace = WorkRendering.executionNamespace(key.consumer)
            wanted.insert("\(namespace)/\(key.name)")
            let spec = WorkSpec(manifests: slices.map { $0.json() })
            do throws(APIError) {
                if var current = existing["\(namespace)/\(key.name)"] {
                    guard current.spec != spec, current.metadata.deletionTimestamp == nil else { continue }
                    current.spec = spec
                    _ = try await client.update(Work.descriptor, current.json())
                } else {
                    var work = Work(metadata: ObjectMeta(name: key.name, namespace: namespace,
                        labels: [ServiceRoutes.routeLabel: slices.first.map { "\($0.metadata.namespace ?? "").\($0.serviceName ?? "")" } ?? ""]),
                        spec: spec)
                    work.metadata.finalizers = [ExecutionController.finalizer]
                    do throws(APIError) {
                        _ = try await client.create(Work.descriptor, work.json())
                    } catch where error.reason == .notFound {
                        _ = try? await client.create(Namespace.descriptor, Namespace(name: namespace).json())
                        _ = try await client.create(Work.descriptor, work.json())
                    }
                }
            } catch where error.reason != .alreadyExists {
                firstError = firstError ?? error
            }
        }
        for (key, work) in existing where !wanted.contains(key) && work.metadata.deletionTimestamp == nil {
            do throws(APIError) {
                try await client.delete(Work.descriptor, namespace: work.metadata.namespace, name: work.metadata.name ?? "")
            } catch where error.reason != .notFound {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
    }

    func writeImports(_ plan: ServiceRoutes, _ snapshot: ObjectSnapshot) async throws(APIError) {
        let existing = Dictionary(snapshot.typed(ServiceImport.self).map { ("\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")", $0) },
            uniquingKeysWith: { a, _ in a })
        for (key, wanted) in plan.imports.sorted(by: { $0.key < $1.key }) {
            if var current = existing[key] {
                guard current.spec != wanted.spec || current.status != wanted.status || current.metadata.labels != wanted.metadata.labels else { continue }
                current.spec = wanted.spec
                current.status = wanted.status
                current.metadata.labels = wanted.metadata.labels
                _ = try await client.updateWithStatus(current)
            } else {
                let created = try await client.create(wanted)
                if wanted.status != nil, var stored = try? ServiceImport(json: created) {
                    stored.status = wanted.status
                    _ = try await client.updateStatus(ServiceImport.descriptor, stored.json())
                }
            }
        }
        for (key, current) in existing where plan.imports[key] == nil {
            do throws(APIError) {
                try await client.delete(ServiceImport.descriptor, namespace: current.metadata.namespace, name: current.metadata.name ?? "")
            } catch where error.reason == .notFound {}
        }
    }

    func writeStatus(_ plan: ServiceRoutes, _ services: [MultiClusterService], _ exports: [ServiceExport]) async throws(APIError) {
        let now = Timestamp(clock.now())
        for mcs in services {
            let key = "\(mcs.metadata.namespace ?? "")/\(mcs.metadata.name ?? "")"
            guard let wanted = plan.serviceStatus[key] else { continue }
            var status = mcs.status ?? MultiClusterServiceStatus()
            var conditions = status.conditions ?? []
            for condition in wanted.conditions { conditions.set(condition, now: now) }
            let before = mcs.status?.conditions?[type: MultiClusterService.appliedCondition]
            guard conditions != (status.conditions ?? []) || wanted.clusters != (status.clusters ?? []) else { continue }
            status.conditions = conditions
            status.clusters = wanted.clusters
            var updated = mcs
            updated.status = status
            _ = try await client.updateStatus(MultiClusterService.descriptor, updated.json())
            if let applied = wanted.conditions.first, applied.status == .false, before?.reason != applied.reason || before?.message != applied.message {
                events.record(mcs, type: "Warning", reason: applied.reason ?? "", message: applied.message ?? "")
            }
        }
        for export in exports {
            let key = "\(export.metadata.namespace ?? "")/\(export.metadata.name ?? "")"
            guard let valid = plan.exportValid[key] else { continue }
            var conditions = export.status?.conditions ?? []
            let before = conditions[type: ServiceExport.validCondition]
            conditions.set(valid, now: now)
            guard conditions != (export.status?.conditions ?? []) else { continue }
            var updated = export
            updated.status = ServiceExportStatus(conditions: conditions)
            _ = try await client.updateStatus(ServiceExport.descriptor, updated.json())
            if valid.status == .false, before?.reason != valid.reason {
                events.record(export, type: "Warning", reason: valid.reason ?? "", message: valid.message ?? "")
            }
        }
    }
}
