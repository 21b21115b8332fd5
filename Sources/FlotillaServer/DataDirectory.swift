import FlotillaAPI
import FlotillaAPIExtension
import Foundation

/// Everything a server keeps in its data directory: the CA, a serving certificate, the token file, the store,
/// and kubeconfigs for the built-in users. Created on first start, reused after.
public struct DataDirectory: Sendable {
    public let url: URL
    public let authority: CertificateAuthority
    public let tokens: TokenFile
    public let adminToken: String
    public let viewerToken: String

    public var storePath: String { url.appendingPathComponent("flotilla.sqlite").path }
    public var adminKubeconfig: URL { url.appendingPathComponent("admin.kubeconfig") }
    public var viewerKubeconfig: URL { url.appendingPathComponent("viewer.kubeconfig") }

    public static func prepare(_ url: URL) throws -> DataDirectory {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let authority = try CertificateAuthority.loadOrCreate(in: url)
        let tokensURL = url.appendingPathComponent("tokens.csv")
        var tokens = FileManager.default.fileExists(atPath: tokensURL.path) ? try TokenFile(contentsOf: tokensURL) : TokenFile()
        func token(for user: String, group: String) -> String {
            if let existing = tokens.users.first(where: { $0.value.name == user })?.key { return existing }
            let token = TokenFile.generateToken()
            tokens = TokenFile(users: tokens.users.merging([token: UserInfo(name: user, groups: [group])]) { a, _ in a })
            return token
        }
        let admin = token(for: "admin", group: "system:masters")
        let viewer = token(for: "viewer", group: "flotilla:viewers")
        try writeSecret(tokens.serialized(), to: tokensURL)
        return DataDirectory(url: url, authority: authority, tokens: tokens, adminToken: admin, viewerToken: viewer)
    }

    /// Writes `admin.kubeconfig` and `viewer.kubeconfig` for a server at `server` (an https URL).
    public func writeKubeconfigs(server: String) throws {
        try writeSecret(Kubeconfig.render(clusterName: "flotilla", server: server, caPEM: authority.certificatePEM,
            user: "admin", credential: .token(adminToken)), to: adminKubeconfig)
        try writeSecret(Kubeconfig.render(clusterName: "flotilla", server: server, caPEM: authority.certificatePEM,
            user: "viewer", credential: .token(viewerToken)), to: viewerKubeconfig)
    }
}
