/// mec.flotilla.io/v1alpha1 SessionMigration: the record of one move of an `AppSession` from one site to another,
/// written by the mobility service as it goes: Triggered → Transferring → Completed, or Failed / RolledBack with the
/// reason. Timings are measured, not estimated.
@FastJSON
public struct SessionMigration: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: SessionMigrationSpec
    public var status: SessionMigrationStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: SessionMigrationSpec, status: SessionMigrationStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public static let descriptor = ResourceDescriptor(
        group: "mec.flotilla.io", version: "v1alpha1", kind: "SessionMigration", plural: "sessionmigrations", shortNames: ["smig"],
        categories: ["flotilla-mec"], namespaced: true, subresources: ["status"], admit: SessionMigration.admit,
        unknownFields: SessionMigration.unknownFieldPaths)

    public static let reasons = ["BudgetExceeded", "BetterSite", "Predicted", "Manual", "Failover", "Drain"]

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if spec.session.isEmpty { errors.append(.required(FieldPath("spec.session"), "the AppSession's name")) }
        if spec.targetSite.isEmpty { errors.append(.required(FieldPath("spec.targetSite"), "the cluster to move to")) }
        if !Self.reasons.contains(spec.reason) {
            errors.append(.notSupported(FieldPath("spec.reason"), spec.reason, supported: Self.reasons))
        }
        return errors
    }
}

@FastJSON
public struct SessionMigrationSpec: Sendable, Hashable, Codable {
    public var session: String
    public var ue: String?
    public var sourceSite: String?
    public var sourceEndpoint: String?
    public var targetSite: String
    public var targetEndpoint: String?
    /// BudgetExceeded (the current site breaks the app's budget), BetterSite (another is better by the margin for the
    /// dwell time), Predicted (the RTT trend says the UE is leaving), Manual, Failover (the primary died and the
    /// standby was promoted), Drain (its site is cordoned or tainted NoExecute: moved before the eviction).
    public var reason: String
    /// The RTTs that decided it, for the record.
    public var sourceRttMs: Double?
    public var targetRttMs: Double?
    public var unknownFields = UnknownFields()

    public init(session: String, targetSite: String, reason: String) {
        self.session = session
        self.targetSite = targetSite
        self.reason = reason
    }
}

@FastJSON
public struct SessionMigrationStatus: Sendable, Hashable, Codable {
    public static let phases = ["Triggered", "Transferring", "Completed", "Failed", "RolledBack"]
    public var phase: String?
    public var message: String?
    public var stateBytes: Int?
    /// Event (or evaluation) to the start of the transfer.
    public var decisionMs: Double?
    /// Pre-copy through release.
    public var transferMs: Double?
    /// Freeze at the source to resume at the target: the time the session could not make progress.
    public var downtimeMs: Double?
    public var startTime: String?
    public var completionTime: String?
    public var unknownFields = UnknownFields()

    public init(phase: String? = nil) { self.phase = phase }
}
