extension ResourceRegistry {
    /// Every kind the control plane serves in this release: core, apps, and Karmada's groups unchanged.
    public static let controlPlane = ResourceRegistry([
        Namespace.descriptor, ConfigMap.descriptor, Secret.descriptor, Service.descriptor, Event.descriptor,
        Deployment.descriptor,
        PropagationPolicy.descriptor, ClusterPropagationPolicy.descriptor,
        OverridePolicy.descriptor, ClusterOverridePolicy.descriptor,
        Cluster.descriptor,
        ResourceBinding.descriptor, ClusterResourceBinding.descriptor,
        Work.descriptor,
    ])
}
