import FlotillaAPI

/// A site's ServiceExports say whether they stand, as the MCS API has each cluster's export say: `Valid` True when
/// the Service of the same name exists here (reason `Exported`), False with `NoService` or `InvalidServiceType`
/// (an ExternalName Service has no endpoints to export). The control plane routes from the clusters an export is
/// propagated to (docs/service-routing.md); this is what a user reading the site sees. Pure: snapshot in, actions out.
struct ServiceExportController: Sendable {
    func reconcile(_ snapshot: SiteSnapshot, now: Timestamp) -> [SiteAction] {
        let services = Dictionary(snapshot.services.map { ("\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")", $0) },
            uniquingKeysWith: { a, _ in a })
        return snapshot.serviceExports.compactMap { export in
            let key = "\(export.metadata.namespace ?? "")/\(export.metadata.name ?? "")"
            let valid: Condition
            switch services[key] {
            case nil:
                valid = Condition(type: ServiceExport.validCondition, status: .false, reason: "NoService",
                    message: "service \(key) does not exist in this cluster")
            case let service? where service.spec?.type == "ExternalName":
                valid = Condition(type: ServiceExport.validCondition, status: .false, reason: "InvalidServiceType",
                    message: "an ExternalName service cannot be exported")
            default:
                valid = Condition(type: ServiceExport.validCondition, status: .true, reason: "Exported", message: "service is exported")
            }
            var conditions = export.status?.conditions ?? []
            conditions.set(valid, now: now)
            guard conditions != (export.status?.conditions ?? []) else { return nil }
            var updated = export
            updated.status = ServiceExportStatus(conditions: conditions)
            return .update(ServiceExport.descriptor.groupResource, updated.json())
        }
    }
}
