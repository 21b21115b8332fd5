/// mec.flotilla.io/v1alpha1 LatencyMatrix (cluster-scoped): the round trip from each access area (a zone of the
/// access network) to each member cluster. Written by whoever knows the network (the access-network simulator's
/// topology, an operator's NEF) and read by the scheduler's latency plugins; several matrices are merged.
@FastJSON
public struct LatencyMatrix: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: LatencyMatrixSpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: LatencyMatrixSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "mec.flotilla.io", version: "v1alpha1", kind: "LatencyMatrix", plural: "latencymatrices", shortNames: ["lm"],
        categories: ["flotilla-mec"], namespaced: false, subresources: [], admit: LatencyMatrix.admit,
        unknownFields: LatencyMatrix.unknownFieldPaths)

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        var seen = Set<String>()
        for (i, area) in spec.areas.enumerated() {
            let path = FieldPath("spec.areas").index(i)
            if area.name.isEmpty { errors.append(.required(path.child("name"), "an area needs a name")) }
            if !seen.insert(area.name).inserted { errors.append(.duplicate(path.child("name"), area.name)) }
            for (cluster, ms) in area.rttMs where !(ms >= 0 && ms <= 60_000) {
                errors.append(.invalid(path.child("rttMs").key(cluster), "\(ms)", "must be between 0 and 60000 ms"))
            }
        }
        return errors
    }

    /// Every matrix merged, area → cluster → ms; later matrices (by name) override earlier ones.
    public static func merged(_ matrices: [LatencyMatrix]) -> [String: [String: Double]] {
        var result: [String: [String: Double]] = [:]
        for matrix in matrices.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            for area in matrix.spec.areas { result[area.name, default: [:]].merge(area.rttMs) { _, new in new } }
        }
        return result
    }
}

@FastJSON
public struct LatencyMatrixSpec: Sendable, Hashable, Codable {
    public var areas: [AccessArea]
    public var unknownFields = UnknownFields()

    public init(areas: [AccessArea]) { self.areas = areas }
}

@FastJSON
public struct AccessArea: Sendable, Hashable, Codable {
    public var name: String
    /// Cluster name → round trip in ms from this area.
    public var rttMs: [String: Double]
    public var unknownFields = UnknownFields()

    public init(name: String, rttMs: [String: Double]) {
        self.name = name
        self.rttMs = rttMs
    }
}
