import FlotillaAPI
import FlotillaAPIExtension
import Foundation
import KubeClient

/// The access API gateway's onboarded API invokers (CAPIF, 3GPP TS 29.222), kept as control-plane Secrets so that
/// every replica knows them and a restart forgets none: `karmada-system/apig-invoker-<id>`, labelled
/// `apig.flotilla.io/invoker=<id>`, holding the invoker's bearer token and its enrolment details. The tokens
/// authenticate as `apig:invoker:<id>`, limited to the gateway's APIs and the invoker's own QoS subscriptions
/// (`/apig/3gpp-as-session-with-qos/v1/<id>/…`) and enrolment. The Secrets are read at most once a second; an
/// onboarding or offboarding through this replica takes effect here at once, through another within that second.
public actor APIInvokers: TokenAuthority {
    public static let namespace = "karmada-system"
    public static let label = "apig.flotilla.io/invoker"
    static let refresh: Duration = .seconds(1)

    public struct Invoker: Sendable {
        public var id: String
        public var token: String
        /// APIInvokerEnrolmentDetails as onboarded, without the secret.
        public var enrolment: JSONValue
    }

    let client: any ObjectClient
    private var byToken: [String: String] = [:]
    private var readAt: ContinuousClock.Instant?

    public init(client: any ObjectClient) { self.client = client }

    public func user(forToken token: String) async -> UserInfo? {
        if readAt.map({ ContinuousClock.now - $0 >= Self.refresh }) ?? true { await reload() }
        return byToken[token].map(Self.user(invoker:))
    }

    /// What an invoker's token may reach.
    static func user(invoker id: String) -> UserInfo {
        UserInfo(name: "apig:invoker:\(id)", groups: ["flotilla:api-invokers"], pathScopes: [
            "/apig/service-apis/v1/", "/apig/location/v2/", "/apig/rni/v2/", "/apig/3gpp-as-session-with-qos/v1/\(id)/",
            "/apig/api-invoker-management/v1/onboardedInvokers/\(id)",
        ], scopeVerbs: ["get", "post", "create", "put", "delete"])
    }

    /// The invoker a user is, if it is one.
    static func invokerID(of user: UserInfo) -> String? {
        user.groups.contains("flotilla:api-invokers") && user.name.hasPrefix("apig:invoker:") ? String(user.name.dropFirst(13)) : nil
    }

    func reload() async {
        readAt = .now
        guard let secrets = try? await client.list(Secret.descriptor, namespace: Self.namespace,
                                                   options: ListQuery(labelSelector: Self.label)).items else { return }
        var next: [String: String] = [:]
        for secret in secrets {
            guard let id = secret.labels[Self.label], let token = Self.decoded(secret["data"]?["token"]), !token.isEmpty else { continue }
            next[token] = id
        }
        byToken = next
    }

    /// Onboards an invoker: a new id and token, stored before they are given out.
    public func onboard(enrolment: JSONValue) async throws(APIError) -> Invoker {
        let id = "INV" + Self.randomHex(bytes: 8)
        let token = Self.randomHex(bytes: 32)
        var stored = enrolment
        stored["apiInvokerId"] = .string(id)
        let secret: JSONValue = [
            "apiVersion": "v1", "kind": "Secret",
            "metadata": ["name": .string(Self.secretName(id)), "namespace": .string(Self.namespace), "labels": [Self.label: .string(id)]],
            "type": "Opaque",
            "data": ["token": .string(Data(token.utf8).base64EncodedString()),
                     "enrolment": .string(Data(stored.serialized()).base64EncodedString())],
        ]
        _ = try await client.create(Secret.descriptor, secret)
        byToken[token] = id
        return Invoker(id: id, token: token, enrolment: stored)
    }

    public func invoker(_ id: String) async throws(APIError) -> Invoker? {
        guard Self.validID(id) else { return nil }
        let secret: JSONValue
        do {
            secret = try await client.get(Secret.descriptor, namespace: Self.namespace, name: Self.secretName(id))
        } catch {
            if error.reason == .notFound { return nil }
            throw error
        }
        guard let token = Self.decoded(secret["data"]?["token"]),
              let enrolment = Self.decoded(secret["data"]?["enrolment"]).flatMap({ try? JSONValue.parse(Array($0.utf8)) }) else { return nil }
        return Invoker(id: id, token: token, enrolment: enrolment)
    }

    /// Offboards an invoker: its Secret goes, and its token with it. False when there was none.
    public func offboard(_ id: String) async throws(APIError) -> Bool {
        guard let invoker = try await invoker(id) else { return false }
        do {
            try await client.delete(Secret.descriptor, namespace: Self.namespace, name: Self.secretName(id))
        } catch {
            if error.reason != .notFound { throw error }
        }
        byToken[invoker.token] = nil
        return true
    }

    static func secretName(_ id: String) -> String { "apig-invoker-\(id.lowercased())" }
    static func validID(_ id: String) -> Bool { id.count == 19 && id.hasPrefix("INV") && id.dropFirst(3).allSatisfy(\.isHexDigit) }

    static func decoded(_ value: JSONValue?) -> String? {
        value?.stringValue.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
