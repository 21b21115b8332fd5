import FlotillaAPI

/// One offline run of an interpreter operation, as `flotilla interpret` (shaped like `karmadactl interpret`) does it:
/// the inputs in, one JSON object out with the operation's results named as Karmada names them.
public struct Interpretation: Sendable {
    public var operation: InterpreterOperation
    /// `--desired-file`: the template (InterpretReplica, InterpretComponent, ReviseReplica, Retain, AggregateStatus,
    /// InterpretDependency).
    public var desired: JSONValue?
    /// `--observed-file`: the member's object (Retain, InterpretStatus, InterpretHealth).
    public var observed: JSONValue?
    /// `--status-file`: AggregatedStatusItems (AggregateStatus).
    public var statusItems: [AggregatedStatusItem]
    /// `--desired-replica` (ReviseReplica).
    public var desiredReplica: Int64?

    public init(operation: InterpreterOperation, desired: JSONValue? = nil, observed: JSONValue? = nil,
                statusItems: [AggregatedStatusItem] = [], desiredReplica: Int64? = nil) {
        self.operation = operation
        self.desired = desired
        self.observed = observed
        self.statusItems = statusItems
        self.desiredReplica = desiredReplica
    }

    /// The object the operation reads: the desired one, or for status and health the observed one; either stands in
    /// for the other when only one is given.
    public var subject: JSONValue? {
        switch operation {
        case .interpretStatus, .interpretHealth: observed ?? desired
        default: desired ?? observed
        }
    }

    /// The results: `replica`/`requires`, `components`, `revised`, `retained`, `aggregatedStatus`, `status`, `healthy`
    /// or `dependencies`.
    public func run(with interpreter: ResourceInterpreter) throws(ScriptError) -> JSONValue {
        guard let subject else { throw ScriptError("\(operation.rawValue) needs --desired-file or --observed-file") }
        switch operation {
        case .interpretReplica:
            let result = try interpreter.replicas(of: subject)
            var out: JSONObject = ["replica": .integer(Int64(result?.replicas ?? 0))]
            if let requires = result?.requirements { out["requires"] = requires }
            return .object(out)
        case .interpretComponent:
            guard let components = try interpreter.components(of: subject) else {
                throw ScriptError("no componentResource script targets \(subject.apiVersion ?? "")/\(subject.kind ?? "")")
            }
            return ["components": .array(components)]
        case .reviseReplica:
            guard let replicas = desiredReplica else { throw ScriptError("ReviseReplica needs --desired-replica") }
            return ["revised": try interpreter.revise(subject, replicas: replicas)]
        case .retain:
            guard let desired, let observed else { throw ScriptError("Retain needs both --desired-file and --observed-file") }
            return ["retained": try interpreter.retain(desired: desired, observed: observed)]
        case .aggregateStatus:
            guard let aggregated = try interpreter.aggregateStatus(subject, items: statusItems) else {
                throw ScriptError("nothing aggregates the status of \(subject.apiVersion ?? "")/\(subject.kind ?? ""): add a statusAggregation script")
            }
            return ["aggregatedStatus": aggregated]
        case .interpretStatus:
            return ["status": try interpreter.reflectStatus(subject) ?? .null]
        case .interpretHealth:
            return ["healthy": .bool(try interpreter.health(subject) ?? true)]
        case .interpretDependency:
            return ["dependencies": .array(try interpreter.dependencies(of: subject).map(\.json))]
        }
    }
}
