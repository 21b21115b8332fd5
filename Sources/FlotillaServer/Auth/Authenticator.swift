import FlotillaAPI
import FlotillaAPIExtension
import Foundation
import Hummingbird
import NIOCore
import NIOSSL
import X509

/// Establishes who sent a request: a bearer token from the token file, or a client certificate signed by the
/// cluster CA (CN = user, O = groups). TLS already verified the certificate chain when one was presented.
struct Authenticator: Sendable {
    let tokens: TokenFile
    /// Tokens beyond the file's (catalog bindings).
    var authority: (any TokenAuthority)?

    func user(forToken token: String) async -> UserInfo? {
        if let user = tokens.user(forToken: token) { return user }
        return await authority?.user(forToken: token)
    }

    /// `queryToken`: a bearer token from the URL, for the few paths that serve browsers (see
    /// `APIExtension.acceptsQueryToken`); the Authorization header wins when both are present.
    func authenticate(_ request: Request, channel: (any Channel)?, queryToken: String? = nil) async -> UserInfo? {
        if request.headers[.authorization] == nil, let queryToken, !queryToken.isEmpty {
            return await user(forToken: queryToken)
        }
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return await user(forToken: String(parts[1]).trimmingCharacters(in: .whitespaces))
            }
            return nil
        }
        guard let channel, let certificate = try? await channel.nioSSL_peerCertificate().get() else { return nil }
        return Self.user(from: certificate)
    }

    static func user(from certificate: NIOSSLCertificate) -> UserInfo? {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else { return nil }
        var name: String?
        var groups: [String] = []
        for rdn in parsed.subject {
            for attribute in rdn {
                if attribute.type == .RDNAttributeType.commonName { name = String(attribute.value) }
                if attribute.type == .RDNAttributeType.organizationName, let group = String(attribute.value) { groups.append(group) }
            }
        }
        guard let name, !name.isEmpty else { return nil }
        return UserInfo(name: name, groups: groups)
    }
}
