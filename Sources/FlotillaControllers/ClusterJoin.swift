import FlotillaAPI
import Foundation
import KubeClient

/// `flotilla join` / `unjoin`: registers a member cluster with the control plane as Karmada does — a Cluster
/// (push mode) and a Secret with the member's credentials in `karmada-cluster`. The member is contacted first, so
/// a wrong endpoint or credential fails the join instead of producing a cluster that never becomes Ready.
public enum ClusterJoin {
    public static let secretNamespace = "karmada-cluster"

    public struct Options: Sendable {
        public var region: String?
        public var zone: String?
        public var provider: String?
        public var labels: [String: String]

        public init(region: String? = nil, zone: String? = nil, provider: String? = nil, labels: [String: String] = [:]) {
            self.region = region
            self.zone = zone
            self.provider = provider
            self.labels = labels
        }
    }

    /// Returns the member's Kubernetes version. Joining again with the same name updates endpoint and credentials.
    @discardableResult
    public static func join(name: String, member: ClusterCredentials, options: Options = Options(),
                            controlPlane: any ObjectClient) async throws(APIError) -> String {
        if let problem = NameValidation.dns1123Label(name).first {
            throw APIError(.invalid, "cluster name \"\(name)\" is not valid: \(problem)")
        }
        do throws(APIError) {
            let existing = try await controlPlane.get(Cluster.descriptor, namespace: nil, name: name)
            if let mode = existing["spec"]?["syncMode"]?.stringValue, mode != "Push" {
                throw APIError(.conflict, "cluster \(name) is registered in \(mode) mode by its agent: unjoin it first")
            }
        } catch {
            guard error.reason == .notFound else { throw error }
        }
        let version = try await memberVersion(member)
        var data: [String: Data] = [:]
        if let token = member.token { data["token"] = Data(token.utf8) }
        if let ca = member.caPEM { data["caBundle"] = Data(ca.utf8) }
        if let certificate = member.clientCertificatePEM, let key = member.clientKeyPEM {
            data["tls.crt"] = Data(certificate.utf8)
            data["tls.key"] = Data(key.utf8)
        }
        let secret = Secret(metadata: ObjectMeta(name: name, namespace: secretNamespace,
            labels: ["cluster.karmada.io/name": name]), data: data)
        try await upsert(Secret.descriptor, secret.json(), controlPlane: controlPlane)

        var spec = ClusterSpec(syncMode: "Push", apiEndpoint: member.server, provider: options.provider, region: options.region)
        spec.zone = options.zone
        spec.secretRef = LocalSecretReference(namespace: secretNamespace, name: name)
        if member.insecureSkipTLSVerify { spec.insecureSkipTLSVerification = true }
        let cluster = Cluster(metadata: ObjectMeta(name: name, labels: options.labels.isEmpty ? nil : options.labels), spec: spec)
        try await upsert(Cluster.descriptor, cluster.json(), controlPlane: controlPlane)
        return version
    }

    /// Removes the Cluster, its credentials or its agent's Lease, and its execution namespace's Works (the execution
    /// controller then has nothing left to apply there). A Pull cluster's agent that still runs registers it again
    /// only when it restarts.
    public static func unjoin(name: String, controlPlane: any ObjectClient) async throws(APIError) {
        try await controlPlane.delete(Cluster.descriptor, namespace: nil, name: name)
        // Its credentials (Push) or its agent's Lease (Pull).
        for resource in [Secret.descriptor, Lease.descriptor] {
            do {
                try await controlPlane.delete(resource, namespace: secretNamespace, name: name)
            } catch {
                if error.reason != .notFound { throw error }
            }
        }
    }

    static func memberVersion(_ member: ClusterCredentials) async throws(APIError) -> String {
        let client: KubeClient
        do {
            client = try KubeClient(credentials: member, policy: ClientPolicy(requestTimeout: .seconds(5), retries: 1))
        } catch {
            throw APIError(.invalid, "the member's credentials are unusable: \(error)")
        }
        defer { Task { await client.shutdown() } }
        let text: String
        do {
            text = try await client.raw("/version")
            _ = try await client.list(Namespace.descriptor, namespace: nil, options: .everything)
        } catch {
            throw APIError(error.reason, "cannot use the member at \(member.server): \(error.message)")
        }
        return (try? JSONValue.parse(Array(text.utf8)))?["gitVersion"]?.stringValue ?? "unknown"
    }

    static func upsert(_ resource: ResourceDescriptor, _ object: JSONValue, controlPlane: any ObjectClient) async throws(APIError) {
        do {
            _ = try await controlPlane.create(resource, object)
        } catch {
            guard error.reason == .alreadyExists else { throw error }
            var current = try await controlPlane.get(resource, namespace: object.namespace, name: object.name ?? "")
            for key in ["spec", "data"] where object[key] != nil { current[key] = object[key] }
            current.setMetadata("labels", object["metadata"]?["labels"] ?? current["metadata"]?["labels"])
            _ = try await controlPlane.update(resource, current)
        }
    }
}
