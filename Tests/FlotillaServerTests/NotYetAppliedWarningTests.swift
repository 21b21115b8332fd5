import FlotillaAPI
import FlotillaTestSupport
import Testing

/// Every PropagationPolicy field works now (suspension, activationPreference, propagateDeps, preemption and the
/// rest: PolicyFieldsEndToEndTests, DependenciesEndToEndTests): a policy that sets them is accepted without a
/// `Warning`. A field that cannot work is refused instead.
@Suite struct NotYetAppliedWarningTests {
    @Test func policyFieldsThatWorkAreAcceptedWithoutWarnings() async throws {
        try await withServer { _, client in
            var policy = policyJSON
            policy.setValue(["dispatching": false], at: ["spec", "suspension"])
            policy.setValue(true, at: ["spec", "propagateDeps"])
            policy.setValue("Lazy", at: ["spec", "activationPreference"])
            policy.setValue("Always", at: ["spec", "preemption"])
            policy.setValue(5, at: ["spec", "priority"])
            let created = try await client.request(.POST, policies, json: policy)
            #expect(created.status == 201)
            let warnings = created.headers.filter { $0.0.lowercased() == "warning" }.map(\.1)
            #expect(warnings.isEmpty, "\(warnings)")
            var wrong = policyJSON
            wrong.setMetadata("name", "wrong")
            wrong.setValue("Sometimes", at: ["spec", "preemption"])
            #expect(try await client.request(.POST, policies, json: wrong).status == 422)
            // A kind that does not propagate is said so.
            var ingresses = policyJSON
            ingresses.setMetadata("name", "ingresses")
            ingresses.setValue([["apiVersion": "networking.k8s.io/v1", "kind": "Ingress"]], at: ["spec", "resourceSelectors"])
            let warned = try await client.request(.POST, policies, json: ingresses)
            #expect(warned.status == 201)
            #expect(warned.header("Warning")?.contains("does not propagate networking.k8s.io/v1 Ingress") == true, "\(warned.headers)")
            // A custom resource's group is not warned: it propagates once its CRD is served.
            var custom = policyJSON
            custom.setMetadata("name", "custom")
            custom.setValue([["apiVersion": "games.example.com/v1", "kind": "Arena"]], at: ["spec", "resourceSelectors"])
            let unwarned = try await client.request(.POST, policies, json: custom)
            #expect(unwarned.status == 201 && unwarned.header("Warning") == nil, "\(unwarned.headers)")

            var plain = policyJSON
            plain.setMetadata("name", "plain")
            let quiet = try await client.request(.POST, policies, json: plain)
            #expect(quiet.status == 201 && quiet.header("Warning") == nil)

            let override: JSONValue = [
                "apiVersion": "policy.karmada.io/v1alpha1", "kind": "OverridePolicy",
                "metadata": ["name": "fields", "namespace": "default"],
                "spec": ["resourceSelectors": [["apiVersion": "apps/v1", "kind": "Deployment", "name": "game"]],
                         "overrideRules": [["overriders": ["fieldOverrider": [["fieldPath": "/data/config", "yaml": [["subPath": "/a", "operator": "replace", "value": "b"]]]]]]]],
            ]
            // fieldOverrider works now (OverridesTests): no warning. A malformed one is refused.
            let written = try await client.request(.POST, "/apis/policy.karmada.io/v1alpha1/namespaces/default/overridepolicies", json: override)
            #expect(written.status == 201 && written.header("Warning") == nil, "\(written.headers)")
            var broken = override
            broken.setMetadata("name", "broken")
            broken["spec"]?["overrideRules"] = [["overriders": ["fieldOverrider": [["fieldPath": "data", "json": [], "yaml": []]]]]]
            let refused = try await client.request(.POST, "/apis/policy.karmada.io/v1alpha1/namespaces/default/overridepolicies", json: broken)
            #expect(refused.status == 422, "\(refused.text)")
        }
    }
}
