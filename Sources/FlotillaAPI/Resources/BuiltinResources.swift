extension ResourceRegistry {
    /// Every kind the control plane serves in this release: core, apps, Karmada's groups unchanged, and Flotilla's MEC group.
    public static let controlPlane = ResourceRegistry([
        Namespace.descriptor, ConfigMap.descriptor, Secret.descriptor, Service.descriptor, Event.descriptor,
        ServiceAccount.descriptor, PersistentVolumeClaim.descriptor,
        Deployment.descriptor, StatefulSet.descriptor, DaemonSet.descriptor, Job.descriptor, CronJob.descriptor, Pod.descriptor,
        Lease.descriptor, PriorityClass.descriptor,
        PropagationPolicy.descriptor, ClusterPropagationPolicy.descriptor, ClusterTaintPolicy.descriptor,
        OverridePolicy.descriptor, ClusterOverridePolicy.descriptor,
        Cluster.descriptor,
        ResourceBinding.descriptor, ClusterResourceBinding.descriptor,
        Work.descriptor,
        WorkloadRebalancer.descriptor, ResourceInterpreterCustomization.descriptor, FederatedHPA.descriptor,
        CronFederatedHPA.descriptor, VerticalPodAutoscaler.descriptor, PodMetrics.descriptor, NodeMetrics.descriptor,
        MultiClusterService.descriptor, ServiceExport.descriptor, ServiceImport.descriptor,
        ServiceOffering.descriptor, ServiceInstance.descriptor, ServiceBinding.descriptor,
        AppProfile.descriptor, LatencyMatrix.descriptor, AppSession.descriptor, SessionMigration.descriptor, TrafficRule.descriptor, EndpointReview.descriptor,
        MECService.descriptor, ServiceAvailabilitySubscription.descriptor, CustomResourceDefinition.descriptor,
        Role.descriptor, ClusterRole.descriptor, RoleBinding.descriptor, ClusterRoleBinding.descriptor,
    ])
}

extension ResourceRegistry {
    /// What a (simulated) member cluster serves: the core and apps kinds a federation distributes and reads back.
    public static let memberCluster = ResourceRegistry([
        Namespace.descriptor, ConfigMap.descriptor, Secret.descriptor, Service.descriptor, Event.descriptor,
        Node.descriptor, Pod.descriptor, Endpoints.descriptor, EndpointSlice.descriptor, Deployment.descriptor,
        StatefulSet.descriptor, DaemonSet.descriptor, Job.descriptor, CronJob.descriptor,
        ServiceExport.descriptor, ServiceAccount.descriptor, PersistentVolumeClaim.descriptor, CustomResourceDefinition.descriptor,
        Role.descriptor, ClusterRole.descriptor, RoleBinding.descriptor, ClusterRoleBinding.descriptor,
        PodMetrics.descriptor, NodeMetrics.descriptor,
    ])
}

extension ResourceRegistry {
    /// Cluster-scoped kinds a ClusterPropagationPolicy propagates (each through a ClusterResourceBinding). The
    /// kinds CustomResourceDefinitions define propagate too, in the scope their CRD gives them.
    public static let clusterTemplateKinds = [Namespace.descriptor, CustomResourceDefinition.descriptor, ClusterRole.descriptor,
                                              ClusterRoleBinding.descriptor]

    /// The namespaced kinds a (Cluster)PropagationPolicy propagates: the detector binds templates of these kinds only.
    public static let templateKinds = [Deployment.descriptor, StatefulSet.descriptor, DaemonSet.descriptor, Job.descriptor, CronJob.descriptor,
                                       Pod.descriptor, Service.descriptor, ConfigMap.descriptor, Secret.descriptor, ServiceExport.descriptor,
                                       ServiceAccount.descriptor, PersistentVolumeClaim.descriptor, Role.descriptor, RoleBinding.descriptor]
}
