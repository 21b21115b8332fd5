import FlotillaAPI

/// `APIEnablement`: the member must serve the workload's API (`status.apiEnablements`). A cluster that has not
/// reported its APIs yet is not ruled out (nothing is known), and one already running the workload stays.
public struct APIEnablementFilter: FilterPlugin {
    public let name = "APIEnablement"
    public init() {}

    public func filter(_ context: SchedulingContext, _ cluster: Cluster) -> FilterFailure? {
        guard let enablements = cluster.status?.apiEnablements, !context.wasScheduled(on: cluster) else { return nil }
        let groupVersion = context.resource.apiVersion ?? ""
        let kind = context.resource.kind ?? ""
        let served = enablements.contains { $0.groupVersion == groupVersion && ($0.resources ?? []).contains { $0.kind == kind } }
        return served ? nil : FilterFailure(plugin: name, reason: "cluster(s) did not have the API resource")
    }
}
