import FlotillaAPI
import Foundation
import Testing

/// coordination.k8s.io/v1 Lease as kube-apiserver takes it: every field used by the election or refused.
@Suite struct LeaseValidationTests {
    static func invalidFields(_ yaml: String) throws -> Set<String> {
        guard case .failure(.invalid(let errors)) = Lease.descriptor.admit(try YAMLCodec.decode(yaml)) else { return [] }
        return Set(errors.map(\.field.description))
    }

    @Test func aLeaseAsClientGoWritesItIsAdmittedUnchanged() throws {
        let yaml = """
            apiVersion: coordination.k8s.io/v1
            kind: Lease
            metadata: {name: flotilla-controller-manager, namespace: kube-system}
            spec: {holderIdentity: replica-a, leaseDurationSeconds: 15, acquireTime: "2026-12-06T07:05:43.123456Z",
                   renewTime: "2026-12-06T07:05:45.000001Z", leaseTransitions: 3}
            """
        guard case .success(let admitted) = Lease.descriptor.admit(try YAMLCodec.decode(yaml)) else {
            Issue.record("refused")
            return
        }
        #expect(admitted["spec"]?["renewTime"] == "2026-12-06T07:05:45.000001Z" && admitted["spec"]?["leaseTransitions"] == 3)
        #expect(ResourceRegistry.controlPlane.descriptor(apiVersion: "coordination.k8s.io/v1", kind: "Lease") != nil)
    }

    @Test func badValuesAndCoordinatedElectionFieldsAreRefused() throws {
        let fields = try Self.invalidFields("""
            apiVersion: coordination.k8s.io/v1
            kind: Lease
            metadata: {name: l, namespace: kube-system}
            spec: {leaseDurationSeconds: 0, leaseTransitions: -1, renewTime: yesterday, strategy: OldestEmulationVersion,
                   preferredHolder: replica-b}
            """)
        #expect(fields == ["spec.leaseDurationSeconds", "spec.leaseTransitions", "spec.renewTime", "spec.strategy", "spec.preferredHolder"])
    }
}
