import FlotillaAPI
import Testing
@testable import EdgeClusterSim

/// The site binds each claim at once to a volume of the size it asks for, and leaves bound claims alone.
@Suite struct VolumeBinderTests {
    static func claim(_ name: String, phase: String? = nil) -> PersistentVolumeClaim {
        var metadata = ObjectMeta(name: name, namespace: "games")
        metadata.uid = "u-\(name)"
        var claim = PersistentVolumeClaim(metadata: metadata,
                                          spec: PersistentVolumeClaimSpec(accessModes: ["ReadWriteOnce"], storage: try! Quantity(parsing: "2Gi")))
        if let phase { claim.status = PersistentVolumeClaimStatus(phase: phase, accessModes: nil, capacity: nil) }
        return claim
    }

    @Test func pendingClaimsAreBoundToAVolumeOfTheirSize() throws {
        var snapshot = SiteSnapshot()
        snapshot.claims = [Self.claim("new"), Self.claim("bound", phase: "Bound")]
        let actions = VolumeBinder().reconcile(snapshot)
        #expect(actions.count == 1)
        guard case .update(_, let object)? = actions.first else { Issue.record("expected an update"); return }
        let bound = try PersistentVolumeClaim(json: object)
        #expect(bound.metadata.name == "new")
        #expect(bound.spec.volumeName == "pvc-u-new")
        #expect(bound.status?.phase == "Bound")
        #expect(bound.status?.capacity?["storage"] == (try Quantity(parsing: "2Gi")))
    }

    @Test(arguments: [
        ("{accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}", nil),
        ("{resources: {requests: {storage: 1Gi}}}", "spec.accessModes"),
        ("{accessModes: [Sometimes], resources: {requests: {storage: 1Gi}}}", "spec.accessModes[0]"),
        ("{accessModes: [ReadWriteOnce]}", "spec.resources.requests[storage]"),
        ("{accessModes: [ReadWriteOnce, ReadWriteOncePod], resources: {requests: {storage: 1Gi}}}", "spec.accessModes"),
    ] as [(String, String?)])
    func claimsAreValidated(spec: String, field: String?) throws {
        let object = try YAMLCodec.decode("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c, namespace: games}\nspec: \(spec)\n")
        switch PersistentVolumeClaim.admit(object) {
        case .success: #expect(field == nil)
        case .failure(.invalid(let errors)): #expect(errors.map { "\($0.field)" }.contains(field ?? "-"), "\(errors)")
        case .failure(let other): Issue.record("\(other)")
        }
    }
}
