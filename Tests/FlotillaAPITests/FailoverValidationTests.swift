import FlotillaAPI
import Testing

/// Bad failover input is refused with the field named (422 causes), and defaults are Karmada's.
@Suite struct FailoverValidationTests {
    static func invalidFields(_ yaml: String, _ descriptor: ResourceDescriptor) throws -> Set<String> {
        guard case .failure(.invalid(let errors)) = descriptor.admit(try YAMLCodec.decode(yaml)) else { return [] }
        return Set(errors.map(\.field.description))
    }

    @Test func clusterTaintPolicyErrorsNameTheirFields() throws {
        let fields = try Self.invalidFields("""
            apiVersion: policy.karmada.io/v1alpha1
            kind: ClusterTaintPolicy
            metadata: {name: bad}
            spec:
              addOnConditions:
              - {conditionType: Ready, operator: Maybe, statusValues: ["True"]}
              - {conditionType: "", operator: In, statusValues: []}
              - {conditionType: Ready, operator: In, statusValues: [Sometimes]}
              taints:
              - {key: "not a key", effect: NoExecute}
              - {key: ok, effect: PreferNoSchedule}
              - {key: ok, effect: NoExecute}
              - {key: ok, effect: NoExecute}
            """, ClusterTaintPolicy.descriptor)
        #expect(fields == ["spec.addOnConditions[0].operator", "spec.addOnConditions[1].conditionType", "spec.addOnConditions[1].statusValues",
                           "spec.addOnConditions[2].statusValues[0]", "spec.taints[0].key", "spec.taints[1].effect", "spec.taints[3]"])
        let empty = try Self.invalidFields("""
            apiVersion: policy.karmada.io/v1alpha1
            kind: ClusterTaintPolicy
            metadata: {name: empty}
            spec: {taints: []}
            """, ClusterTaintPolicy.descriptor)
        #expect(empty == ["spec.addOnConditions", "spec.taints"])
    }

    @Test func failoverFieldsAreValidatedAndDefaulted() throws {
        let policy = """
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: p, namespace: default}
            spec:
              resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: d}]
              failover:
                application:
                  decisionConditions: {tolerationSeconds: -1}
                  purgeMode: Directly
                  gracePeriodSeconds: 0
                  statePreservation:
                    rules:
                    - {aliasLabelName: "game/round", jsonPath: "round"}
                    - {aliasLabelName: "game/round", jsonPath: "{.round}"}
                cluster: {purgeMode: Sometimes}
            """
        #expect(try Self.invalidFields(policy, PropagationPolicy.descriptor) == [
            "spec.failover.application.decisionConditions.tolerationSeconds", "spec.failover.application.gracePeriodSeconds",
            "spec.failover.application.statePreservation.rules[0].jsonPath", "spec.failover.application.statePreservation.rules[1].aliasLabelName",
            "spec.failover.cluster.purgeMode"])
        guard case .success(let admitted) = PropagationPolicy.descriptor.admit(try YAMLCodec.decode("""
            apiVersion: policy.karmada.io/v1alpha1
            kind: PropagationPolicy
            metadata: {name: p, namespace: default}
            spec:
              resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: d}]
              failover: {application: {}, cluster: {}}
            """)) else {
            Issue.record("a minimal failover was refused")
            return
        }
        let failover = try PropagationPolicy(json: admitted).spec.failover
        #expect(failover?.application?.decisionConditions?.tolerationSeconds == 300)
        #expect(failover?.application?.purgeMode == "Gracefully" && failover?.application?.gracePeriodSeconds == 600)
        #expect(failover?.cluster?.purgeMode == "Gracefully")
    }

    @Test func evictionTasksAndRebalancersAreValidated() throws {
        let binding = try Self.invalidFields("""
            apiVersion: work.karmada.io/v1alpha2
            kind: ResourceBinding
            metadata: {name: b, namespace: default}
            spec:
              resource: {apiVersion: apps/v1, kind: Deployment, name: d}
              gracefulEvictionTasks:
              - {fromCluster: edge-3, reason: TaintUntolerated, producer: TaintManager, purgeMode: Whenever}
              - {fromCluster: edge-3, reason: "", producer: TaintManager, replicas: -2}
            """, ResourceBinding.descriptor)
        #expect(binding == ["spec.gracefulEvictionTasks[0].purgeMode", "spec.gracefulEvictionTasks[1].reason",
                            "spec.gracefulEvictionTasks[1].replicas", "spec.gracefulEvictionTasks[1].fromCluster"])
        let rebalancer = try Self.invalidFields("""
            apiVersion: apps.karmada.io/v1alpha1
            kind: WorkloadRebalancer
            metadata: {name: r}
            spec:
              ttlSecondsAfterFinished: -5
              workloads:
              - {apiVersion: apps/v1, kind: Deployment, namespace: default, name: ""}
            """, WorkloadRebalancer.descriptor)
        #expect(rebalancer == ["spec.workloads[0].name", "spec.ttlSecondsAfterFinished"])
    }

    @Test(arguments: [("{.status.replicas}", ["status": ["replicas": 3]], "3"), ("{ .phase }", ["phase": "Running"], "Running"),
                      (".items[1]", ["items": ["a", "b"]], "b"), ("{.nested}", ["nested": ["x": 1]], nil), ("{.absent}", [:], nil)] as [(String, JSONValue, String?)])
    func statusPathsReadLabelValues(path: String, status: JSONValue, value: String?) throws {
        #expect(try #require(StatusPath(path)).read(status) == value)
    }

    @Test(arguments: ["", "replicas", "{.a", "{.}", ".a[x]", ".a[-1]", "{.a..b}"])
    func malformedStatusPathsAreRefused(path: String) {
        #expect(StatusPath(path) == nil)
    }

    /// Karmada's default NoExecute tolerations: 300 s for not-ready and unreachable, unless a toleration covers them.
    @Test func defaultTolerationsFillOnlyWhatIsNotCovered() {
        var bare = Placement()
        bare.setDefaultTolerations()
        #expect(bare.clusterTolerations?.map(\.key) == ["cluster.karmada.io/not-ready", "cluster.karmada.io/unreachable"])
        #expect(bare.clusterTolerations?.allSatisfy { $0.tolerationSeconds == 300 && $0.effect == "NoExecute" } == true)
        var own = Placement(clusterTolerations: [Toleration(key: "cluster.karmada.io/not-ready", operator: "Exists", effect: "NoExecute",
                                                           tolerationSeconds: 3)])
        own.setDefaultTolerations()
        #expect(own.clusterTolerations?.map(\.tolerationSeconds) == [3, 300])
        var everything = Placement(clusterTolerations: [Toleration(operator: "Exists")])
        everything.setDefaultTolerations()
        #expect(everything.clusterTolerations?.count == 1)
    }
}
