import FlotillaAPI
import Foundation

/// Writes kubeconfig files that stock kubectl and the Python client read (`certificate-authority-data`, server,
/// and a bearer token or client certificate).
public enum Kubeconfig {
    public enum Credential {
        case token(String)
        case clientCertificate(certificatePEM: String, keyPEM: String)
    }

    public static func render(clusterName: String, server: String, caPEM: String, user: String, credential: Credential,
                              namespace: String = "default") -> String {
        var userEntry: JSONObject = [:]
        switch credential {
        case .token(let token): userEntry["token"] = .string(token)
        case .clientCertificate(let certificate, let key):
            userEntry["client-certificate-data"] = .string(Data(certificate.utf8).base64EncodedString())
            userEntry["client-key-data"] = .string(Data(key.utf8).base64EncodedString())
        }
        let config: JSONValue = [
            "apiVersion": "v1", "kind": "Config", "preferences": .object([:]),
            "current-context": .string(clusterName),
            "clusters": [["name": .string(clusterName), "cluster": [
                "server": .string(server), "certificate-authority-data": .string(Data(caPEM.utf8).base64EncodedString())]]],
            "users": [["name": .string(user), "user": .object(userEntry)]],
            "contexts": [["name": .string(clusterName), "context": [
                "cluster": .string(clusterName), "user": .string(user), "namespace": .string(namespace)]]],
        ]
        return YAMLCodec.encode(config)
    }
}
