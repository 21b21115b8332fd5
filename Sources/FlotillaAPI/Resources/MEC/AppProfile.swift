/// mec.flotilla.io/v1alpha1 AppProfile: what an edge app needs from placement — a latency budget, bandwidth and
/// sessions per replica — attached to workloads by selectors, plus where its users are (demand per access area).
/// The scheduler reads it (LatencyFilter, LatencyScore, and demand-weighted division when asked for).
@FastJSON
public struct AppProfile: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: AppProfileSpec
    public var status: AppProfileStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: AppProfileSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "mec.flotilla.io", version: "v1alpha1", kind: "AppProfile", plural: "appprofiles", shortNames: ["ap"],
        categories: ["flotilla-mec"], namespaced: true, subresources: ["status"], admit: AppProfile.admit,
        unknownFields: AppProfile.unknownFieldPaths)

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if spec.workloads.isEmpty { errors.append(.required(FieldPath("spec.workloads"), "select at least one workload")) }
        for (i, selector) in spec.workloads.enumerated() where selector.kind.isEmpty || selector.apiVersion.isEmpty {
            errors.append(.required(FieldPath("spec.workloads").index(i), "apiVersion and kind are required"))
        }
        if let budget = spec.latencyBudgetMs, !(budget > 0 && budget <= 10_000) {
            errors.append(.invalid(FieldPath("spec.latencyBudgetMs"), "\(budget)", "must be between 0 and 10000 ms"))
        }
        if let bandwidth = spec.bandwidthMbpsPerSession, bandwidth < 0 {
            errors.append(.invalid(FieldPath("spec.bandwidthMbpsPerSession"), "\(bandwidth)", "must not be negative"))
        }
        if let sessions = spec.sessionsPerReplica, sessions < 1 {
            errors.append(.invalid(FieldPath("spec.sessionsPerReplica"), "\(sessions)", "must be at least 1"))
        }
        if let division = spec.placement?.replicaDivision, !AppPlacement.divisions.contains(division) {
            errors.append(.notSupported(FieldPath("spec.placement.replicaDivision"), division, supported: AppPlacement.divisions))
        }
        errors += spec.sessionProtection?.validate(path: FieldPath("spec.sessionProtection")) ?? []
        if let qos = spec.qosOnDemand {
            let path = FieldPath("spec.qosOnDemand")
            if qos.qosReference.isEmpty { errors.append(.required(path.child("qosReference"), "the QoS to ask for, as the access network names it (low-latency)")) }
            if spec.latencyBudgetMs == nil {
                errors.append(.required(FieldPath("spec.latencyBudgetMs"), "qosOnDemand asks for QoS as a session nears the budget"))
            }
            if let within = qos.withinMs, !(within > 0 && within <= (spec.latencyBudgetMs ?? 10_000)) {
                errors.append(.invalid(path.child("withinMs"), "\(within)", "must be above 0 and at most latencyBudgetMs"))
            }
        }
        errors += spec.dataPath?.problems(at: FieldPath("spec.dataPath")) ?? []
        for (i, entry) in (spec.demand ?? []).enumerated() where entry.ues < 0 || entry.area.isEmpty {
            errors.append(.invalid(FieldPath("spec.demand").index(i), "\(entry.ues)", "an area name and a UE count ≥ 0"))
        }
        return errors
    }

    /// Demand as the scheduler uses it: what the services observed (status) over what the spec states.
    public var effectiveDemand: [String: Int] {
        let entries = status?.demand ?? spec.demand ?? []
        return Dictionary(entries.map { ($0.area, $0.ues) }, uniquingKeysWith: +)
    }
}

@FastJSON
public struct AppProfileSpec: Sendable, Hashable, Codable {
    /// The workloads this profile describes (Karmada's ResourceSelector: apiVersion, kind, name or labelSelector).
    public var workloads: [ResourceSelector]
    /// Round-trip budget from a UE to its instance.
    public var latencyBudgetMs: Double?
    public var bandwidthMbpsPerSession: Double?
    /// Sessions must survive moves (the mobility service migrates them).
    public var serviceContinuity: Bool?
    public var sessionsPerReplica: Int?
    public var placement: AppPlacement?
    /// UEs of this app per access area, for tests and what-if; `status.demand` (written by the access network
    /// and mobility services) takes precedence.
    public var demand: [AreaDemand]?
    /// The Service whose endpoints are the app's instances on each site (default: the first workload's name, its
    /// first port). Discovery and mobility hand these endpoints to UEs.
    public var service: AppServiceReference?
    /// A standby copy of each session at a second site (docs/failover.md).
    public var sessionProtection: SessionProtection?
    /// QoS on demand for sessions near their budget (docs/gateway.md).
    public var qosOnDemand: QoSOnDemand?
    /// The app's one public address: UEs send there, and the sites' edge data gateways steer each UE's flow to the
    /// instance holding its session (a TrafficRule per session), so clients never redirect (docs/gateway.md).
    public var dataPath: AppDataPath?
    public var unknownFields = UnknownFields()

    /// The Service name discovery reads on each member.
    public var serviceName: String? { service?.name ?? workloads.first?.name }

    public init(workloads: [ResourceSelector], latencyBudgetMs: Double? = nil, sessionsPerReplica: Int? = nil,
                placement: AppPlacement? = nil, demand: [AreaDemand]? = nil) {
        self.workloads = workloads
        self.latencyBudgetMs = latencyBudgetMs
        self.sessionsPerReplica = sessionsPerReplica
        self.placement = placement
        self.demand = demand
    }
}

/// The mobility service asks the access network for `qosReference` (3GPP AsSessionWithQoS) for a session's UE when
/// the session's round trip is within `withinMs` (default 5) of the budget — or over it — and no site would do
/// better; it gives the flow back when the round trip is below the budget by 3 × `withinMs`, or the UE's last session
/// of the app ends.
@FastJSON
public struct QoSOnDemand: Sendable, Hashable, Codable {
    public var qosReference: String
    public var withinMs: Double?
    public var unknownFields = UnknownFields()

    public static let defaultWithinMs = 5.0

    public init(qosReference: String, withinMs: Double? = nil) {
        self.qosReference = qosReference
        self.withinMs = withinMs
    }
}

/// The app's virtual address (VIP:port) on the data path. UDP: each UE's flow follows its session, switched by the
/// gateways as a move's target resumes. TCP: each new connection goes where the session is; an open connection stays
/// with the instance it was spliced to (a gateway cannot move a TCP stream).
@FastJSON
public struct AppDataPath: Sendable, Hashable, Codable {
    public var address: String
    public var port: Int
    /// UDP (the default) or TCP.
    public var `protocol`: String?
    public var unknownFields = UnknownFields()

    public init(address: String, port: Int) {
        self.address = address
        self.port = port
    }

    func problems(at path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if IPv4.parse(address) == nil { errors.append(.invalid(path.child("address"), address, "must be an IPv4 address")) }
        if !(1...65535).contains(port) { errors.append(.invalid(path.child("port"), "\(port)", "must be 1 to 65535")) }
        if let value = `protocol`, !["UDP", "TCP"].contains(value) { errors.append(.notSupported(path.child("protocol"), value, supported: ["UDP", "TCP"])) }
        return errors
    }
}

@FastJSON
public struct AppServiceReference: Sendable, Hashable, Codable {
    public var name: String?
    /// The port's name; default the first.
    public var port: String?
    public var unknownFields = UnknownFields()

    public init(name: String? = nil, port: String? = nil) {
        self.name = name
        self.port = port
    }
}

@FastJSON
public struct AppPlacement: Sendable, Hashable, Codable {
    public static let divisions = ["Policy", "DemandWeighted"]
    /// `Policy` (default): the PropagationPolicy's division. `DemandWeighted`: replicas follow where the users are.
    public var replicaDivision: String?
    public var unknownFields = UnknownFields()

    public init(replicaDivision: String? = nil) { self.replicaDivision = replicaDivision }
}

@FastJSON
public struct AreaDemand: Sendable, Hashable, Codable {
    public var area: String
    public var ues: Int

    public init(area: String, ues: Int) {
        self.area = area
        self.ues = ues
    }
}

@FastJSON
public struct AppProfileStatus: Sendable, Hashable, Codable {
    public var demand: [AreaDemand]?
    public var observedTime: String?
    public var unknownFields = UnknownFields()

    public init(demand: [AreaDemand]? = nil) { self.demand = demand }
}
