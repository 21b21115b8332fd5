import FlotillaAPI
import FlotillaAPIExtension
import Foundation
import KubeClient

/// The bearer tokens of catalog bindings: each binding Secret's `token` authenticates as `catalog:NS:INSTANCE`,
/// limited to that instance — its discovery (`/mec/discovery/v1/namespaces/NS/apps/INSTANCE/…`, get and create, so
/// an app can ask for endpoints and open sessions) and reading its ServiceInstance. The binding Secrets are read at
/// most once a second, however many requests bring tokens; an unbound binding's token stops working within that.
public actor CatalogBindingTokens: TokenAuthority {
    let client: any ObjectClient
    private var users: [String: UserInfo] = [:]
    private var readAt: ContinuousClock.Instant?
    static let refresh: Duration = .seconds(1)

    public init(client: any ObjectClient) { self.client = client }

    public func user(forToken token: String) async -> UserInfo? {
        if readAt.map({ ContinuousClock.now - $0 >= Self.refresh }) ?? true { await reload() }
        return users[token]
    }

    func reload() async {
        readAt = .now
        guard let secrets = try? await client.list(Secret.descriptor, namespace: nil,
            options: ListQuery(labelSelector: CatalogController.bindingLabel)).items else { return }
        var next: [String: UserInfo] = [:]
        for secret in secrets {
            guard let namespace = secret.namespace, let instance = secret.labels[ServiceInstance.instanceLabel],
                let token = secret["data"]?["token"]?.stringValue.flatMap({ Data(base64Encoded: $0) }).map({ String(decoding: $0, as: UTF8.self) }),
                !token.isEmpty else { continue }
            next[token] = Self.user(namespace: namespace, instance: instance)
        }
        users = next
    }

    static func user(namespace: String, instance: String) -> UserInfo {
        UserInfo(name: "catalog:\(namespace):\(instance)", groups: ["flotilla:catalog-bindings"], pathScopes: [
            "/mec/discovery/v1/namespaces/\(namespace)/apps/\(instance)/",
            "/apis/catalog.flotilla.io/v1alpha1/namespaces/\(namespace)/serviceinstances/\(instance)",
        ])
    }
}
