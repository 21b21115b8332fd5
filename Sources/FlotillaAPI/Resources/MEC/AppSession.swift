/// mec.flotilla.io/v1alpha1 AppSession: one UE's session with one edge app — which instance serves it now and where
/// that instance accepts state transfers. Discovery creates it when it assigns a UE; the mobility service moves it
/// (one `SessionMigration` per move) and the app or UE deletes it when the session ends. A session is in exactly one
/// place: `status.site`/`status.endpoint` change only when a migration completes.
@FastJSON
public struct AppSession: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: AppSessionSpec
    public var status: AppSessionStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: AppSessionSpec, status: AppSessionStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public static let descriptor = ResourceDescriptor(
        group: "mec.flotilla.io", version: "v1alpha1", kind: "AppSession", plural: "appsessions", shortNames: ["sess"],
        categories: ["flotilla-mec"], namespaced: true, subresources: ["status"], admit: AppSession.admit,
        unknownFields: AppSession.unknownFieldPaths)

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if spec.ue.isEmpty { errors.append(.required(FieldPath("spec.ue"), "the UE's address (e.g. 10.0.0.7)")) }
        if spec.app.isEmpty { errors.append(.required(FieldPath("spec.app"), "the AppProfile's name")) }
        if let callback = spec.callbackUri, !(callback.hasPrefix("http://") || callback.hasPrefix("https://")) {
            errors.append(.invalid(FieldPath("spec.callbackUri"), callback, "must be an http or https URL"))
        }
        return errors
    }
}

@FastJSON
public struct AppSessionSpec: Sendable, Hashable, Codable {
    /// The UE's address as the access network knows it (MEC 013 `address`).
    public var ue: String
    /// The AppProfile (same namespace) of the app.
    public var app: String
    /// Where the UE hears about redirects (a `SessionRedirect` JSON is POSTed there); optional.
    public var callbackUri: String?
    public var unknownFields = UnknownFields()

    public init(ue: String, app: String, callbackUri: String? = nil) {
        self.ue = ue
        self.app = app
        self.callbackUri = callbackUri
    }
}

@FastJSON
public struct AppSessionStatus: Sendable, Hashable, Codable {
    /// The cluster serving the session now.
    public var site: String?
    /// `host:port` of the instance serving it (the UE's traffic and the state-transfer protocol both go there).
    public var endpoint: String?
    /// `Active`, or `Migrating` while a SessionMigration holds it.
    public var phase: String?
    public var predictedRttMs: Double?
    public var migrations: Int?
    public var lastMigration: String?
    /// The fencing epoch: raised by every promotion of a standby. An instance holding the session at an older epoch
    /// is refused (its checkpoints are answered 409 "fenced") and stops serving, so a returning old primary never
    /// serves alongside the new one.
    public var epoch: Int?
    /// Where the standby copy is kept (protected sessions, `AppProfile.spec.sessionProtection`).
    public var standbySite: String?
    public var standbyEndpoint: String?
    public var unknownFields = UnknownFields()

    public init(site: String? = nil, endpoint: String? = nil, phase: String? = nil) {
        self.site = site
        self.endpoint = endpoint
        self.phase = phase
    }
}
