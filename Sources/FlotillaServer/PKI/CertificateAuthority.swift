import Crypto
import Foundation
import SwiftASN1
import X509

/// The cluster's own certificate authority: generated on first start into the data directory and reused after,
/// like kubeadm's `ca.crt`/`ca.key`. It signs the serving certificate and client certificates.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    let key: Certificate.PrivateKey

    public var certificatePEM: String { (try? certificate.serializeAsPEM().pemString) ?? "" }

    /// Loads `ca.crt`/`ca.key` from `directory`, or creates and writes them.
    public static func loadOrCreate(in directory: URL, name: String = "flotilla-ca", now: Date = Date()) throws -> CertificateAuthority {
        let certURL = directory.appendingPathComponent("ca.crt")
        let keyURL = directory.appendingPathComponent("ca.key")
        if FileManager.default.fileExists(atPath: certURL.path), FileManager.default.fileExists(atPath: keyURL.path) {
            let certificate = try Certificate(pemEncoded: String(contentsOf: certURL, encoding: .utf8))
            let key = try Certificate.PrivateKey(pemEncoded: String(contentsOf: keyURL, encoding: .utf8))
            return CertificateAuthority(certificate: certificate, key: key)
        }
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let subject = try DistinguishedName { CommonName(name) }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            },
            issuerPrivateKey: key)
        let authority = CertificateAuthority(certificate: certificate, key: key)
        try writeSecret(try key.serializeAsPEM().pemString, to: keyURL)
        try authority.certificatePEM.write(to: certURL, atomically: true, encoding: .utf8)
        return authority
    }

    /// An issued certificate and its key, PEM-encoded.
    public struct Issued: Sendable {
        public var certificatePEM: String
        public var keyPEM: String
    }

    /// A serving certificate for the given host names and IP addresses.
    public func issueServing(dnsNames: [String], ipAddresses: [String], now: Date = Date()) throws -> Issued {
        let names: [GeneralName] = dnsNames.map { .dnsName($0) } + ipAddresses.compactMap { address in
            Self.ipBytes(address).map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) }
        }
        return try issue(commonName: dnsNames.first ?? "flotilla", organizations: [], usage: [.serverAuth],
            subjectAlternativeNames: names, now: now)
    }

    /// A client certificate: CN is the user name, O the groups (the Kubernetes convention).
    public func issueClient(user: String, groups: [String], now: Date = Date()) throws -> Issued {
        try issue(commonName: user, organizations: groups, usage: [.clientAuth], subjectAlternativeNames: [], now: now)
    }

    func issue(commonName: String, organizations: [String], usage: [ExtendedKeyUsage.Usage],
               subjectAlternativeNames: [GeneralName], now: Date) throws -> Issued {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let subject = try DistinguishedName {
            for organization in organizations { OrganizationName(organization) }
            CommonName(commonName)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(2 * 365 * 86_400),
            issuer: self.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage(usage)
                AuthorityKeyIdentifier(keyIdentifier: try self.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
                if !subjectAlternativeNames.isEmpty { SubjectAlternativeNames(subjectAlternativeNames) }
            },
            issuerPrivateKey: self.key)
        return Issued(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: try key.serializeAsPEM().pemString)
    }

    static func ipBytes(_ address: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

/// Writes a file readable by its owner only (keys, tokens).
public func writeSecret(_ text: String, to url: URL) throws {
    _ = FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
    }
}
