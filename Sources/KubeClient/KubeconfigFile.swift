import FlotillaAPI
import Foundation

/// A kubeconfig resolved to one context: where the API server is and how to authenticate to it. Reads what
/// kubectl reads: `certificate-authority-data` or `certificate-authority` (a path, relative to the file),
/// `insecure-skip-tls-verify`, a bearer `token` or `tokenFile`, `client-certificate(-data)` and `client-key(-data)`.
public struct ClusterCredentials: Sendable, Hashable {
    public var server: String
    public var caPEM: String?
    public var insecureSkipTLSVerify: Bool
    public var token: String?
    public var clientCertificatePEM: String?
    public var clientKeyPEM: String?
    /// The context's namespace, if it names one.
    public var namespace: String?

    public init(server: String, caPEM: String? = nil, insecureSkipTLSVerify: Bool = false, token: String? = nil,
                clientCertificatePEM: String? = nil, clientKeyPEM: String? = nil, namespace: String? = nil) {
        self.server = server
        self.caPEM = caPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.token = token
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
        self.namespace = namespace
    }
}

public struct KubeconfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum KubeconfigFile {
    /// Reads the file and resolves `context` (default: `current-context`).
    public static func load(path: String, context: String? = nil) throws(KubeconfigError) -> ClusterCredentials {
        guard let data = FileManager.default.contents(atPath: path) else { throw KubeconfigError("cannot read kubeconfig \(path)") }
        return try parse(String(decoding: data, as: UTF8.self), context: context,
            baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    public static func parse(_ text: String, context requested: String? = nil, baseDirectory: URL? = nil) throws(KubeconfigError)
        -> ClusterCredentials
    {
        let config: JSONValue
        do { config = try YAMLCodec.decode(text) } catch { throw KubeconfigError("kubeconfig is not valid YAML: \(error)") }
        func named(_ list: String, _ name: String) -> JSONValue? {
            config[list]?.arrayValue?.first { $0["name"]?.stringValue == name }
        }
        guard let contextName = requested ?? config["current-context"]?.stringValue, !contextName.isEmpty else {
            throw KubeconfigError("kubeconfig has no current-context; name one with --context")
        }
        guard let context = named("contexts", contextName)?["context"] else {
            throw KubeconfigError("context \"\(contextName)\" is not in the kubeconfig")
        }
        guard let clusterName = context["cluster"]?.stringValue, let cluster = named("clusters", clusterName)?["cluster"] else {
            throw KubeconfigError("context \"\(contextName)\" names no cluster that the kubeconfig defines")
        }
        guard let server = cluster["server"]?.stringValue, let url = URL(string: server), url.scheme == "https" || url.scheme == "http" else {
            throw KubeconfigError("cluster \"\(clusterName)\" has no valid server URL")
        }
        let user = context["user"]?.stringValue.flatMap { named("users", $0)?["user"] }
        func read(dataKey: String, fileKey: String, in object: JSONValue?) throws(KubeconfigError) -> String? {
            if let encoded = object?[dataKey]?.stringValue {
                guard let data = Data(base64Encoded: encoded) else { throw KubeconfigError("\(dataKey) is not valid base64") }
                return String(decoding: data, as: UTF8.self)
            }
            if let file = object?[fileKey]?.stringValue {
                let path = file.hasPrefix("/") ? file : (baseDirectory?.appendingPathComponent(file).path ?? file)
                guard let data = FileManager.default.contents(atPath: path) else { throw KubeconfigError("cannot read \(fileKey) \(path)") }
                return String(decoding: data, as: UTF8.self)
            }
            return nil
        }
        var token = user?["token"]?.stringValue
        if token == nil, let tokenFile = try read(dataKey: "-", fileKey: "tokenFile", in: user) {
            token = tokenFile.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return ClusterCredentials(
            server: server.hasSuffix("/") ? String(server.dropLast()) : server,
            caPEM: try read(dataKey: "certificate-authority-data", fileKey: "certificate-authority", in: cluster),
            insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"]?.boolValue ?? false,
            token: token,
            clientCertificatePEM: try read(dataKey: "client-certificate-data", fileKey: "client-certificate", in: user),
            clientKeyPEM: try read(dataKey: "client-key-data", fileKey: "client-key", in: user),
            namespace: context["namespace"]?.stringValue)
    }
}
