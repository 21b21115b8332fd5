import FlotillaAPI

/// `APIEnablement`: the member must serve the workload's API (`status.apiEnablements`). A cluster that has not
/// reported its APIs yet is not ruled out (nothing is known), and one already running the workload stays.
public struct APIEnablementFilter: FilterPlugin {
    public let name = "APIEnablement"
    public init() {}

    public func filter(_ context: SchedulingContext, _ cluster: ClusterView) -> FilterFailure? {
        guard let served = cluster.servedKinds, !context.wasScheduled(on: cluster) else { return nil }
        let kinds = served[context.resource.apiVersion ?? ""]
        return kinds?.contains(context.resource.kind ?? "") == true ? nil : FilterFailure(plugin: name, reason: "cluster(s) did not have the API resource")
    }
}
