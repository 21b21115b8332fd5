import FlotillaAPI
import FlotillaAPIExtension
import FlotillaRuntime
import KubeClient
import Logging

/// The control plane's metrics.k8s.io, gathered from every Ready member when asked, as karmada-metrics-adapter
/// serves it: `kubectl top pods` on the control plane lists the pods of every member, each labelled with its cluster
/// (`resource.karmada.io/cached-from-cluster`). Its custom.metrics.k8s.io is every member's answer to the same query,
/// put together. A member that does not answer adds nothing.
public struct MemberMetrics: ComputedResources {
    public static let clusterLabel = "resource.karmada.io/cached-from-cluster"
    let controlPlane: any ObjectClient
    let connections: ClusterConnections
    let logger: Logger

    public init(controlPlane: any ObjectClient, connections: ClusterConnections, logger: Logger = Logger(label: "flotilla.metrics")) {
        self.controlPlane = controlPlane
        self.connections = connections
        self.logger = logger
    }

    public func customMetrics(_ query: CustomMetricQuery) async throws(APIError) -> [MetricValue] {
        let gathered = try await eachReadyMember { (member: KubeClient) throws(APIError) -> [MetricValue] in
            try await member.customMetrics(query, timeout: .seconds(5))
        }
        return gathered.flatMap { $0 }
    }

    public func customMetricNames() async -> [String] {
        let gathered = (try? await eachReadyMember { (member: KubeClient) throws(APIError) -> [String] in
            let text = try await member.raw("/apis/\(CustomMetrics.apiVersion)", timeout: .seconds(5))
            let list = try? JSONValue.parse(Array(text.utf8))
            return (list?["resources"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                .compactMap { $0.hasPrefix("pods/") ? String($0.dropFirst(5)) : nil }
        }) ?? []
        return Array(Set(gathered.flatMap { $0 })).sorted()
    }

    /// `read` on every Ready member at once; a member that fails adds nothing.
    func eachReadyMember<T: Sendable>(_ read: @escaping @Sendable (KubeClient) async throws(APIError) -> T) async throws(APIError) -> [T] {
        let clusters = try await controlPlane.list(Cluster.descriptor, namespace: nil, options: ListQuery()).items
            .compactMap { try? Cluster(json: $0) }.filter { $0.isReady && self.connections.serves($0) }
        let connections = self.connections, logger = self.logger
        let answers = await concurrently(clusters, limit: 32) { cluster -> T? in
            do throws(APIError) {
                return try await read(try await connections.client(for: cluster))
            } catch {
                logger.debug("no metrics from a member", metadata: ["cluster": "\(cluster.metadata.name ?? "")", "error": "\(error)"])
                return nil
            }
        }
        return answers.compactMap { $0 }
    }

    public func objects(_ resource: GroupResource, namespace: String?) async throws(APIError) -> [JSONValue] {
        guard let kind = [PodMetrics.descriptor, NodeMetrics.descriptor].first(where: { $0.groupResource == resource }) else { return [] }
        let clusters = try await controlPlane.list(Cluster.descriptor, namespace: nil, options: ListQuery()).items
            .compactMap { try? Cluster(json: $0) }.filter { $0.isReady && self.connections.serves($0) }
        let connections = self.connections, logger = self.logger
        let gathered = await concurrently(clusters, limit: 32) { cluster -> [JSONValue] in
            do throws(APIError) {
                let member = try await connections.client(for: cluster)
                let items = try await member.list(kind, namespace: kind.namespaced ? namespace : nil, options: ListQuery()).items
                return items.map { item in
                    var item = item
                    var labels = item["metadata"]?["labels"]?.objectValue ?? [:]
                    labels[Self.clusterLabel] = .string(cluster.metadata.name ?? "")
                    item.setMetadata("labels", .object(labels))
                    return item
                }
            } catch {
                logger.debug("no metrics from a member", metadata: ["cluster": "\(cluster.metadata.name ?? "")", "error": "\(error)"])
                return []
            }
        }
        return gathered.flatMap { $0 }
    }
}
