import Foundation

/// Where etcd is and how to reach it: kube-apiserver's `--etcd-servers`, `--etcd-prefix` and TLS flags, parsed.
///
/// Members are `http://HOST:PORT` or `https://HOST:PORT`, all with the same scheme. Hosts are IP literals (any
/// number of members, balanced round-robin, a dead one skipped) or a single DNS name.
public struct EtcdEndpoints: Sendable, Equatable {
    public struct Member: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public struct TLSFiles: Sendable, Equatable {
        /// Verifies the members' certificates (`--etcd-cafile`); nil uses the system's roots.
        public var caFile: String?
        /// Flotilla's client certificate and key (`--etcd-certfile`, `--etcd-keyfile`), for members that require one.
        public var certFile: String?
        public var keyFile: String?

        public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
        }
    }

    public var members: [Member]
    /// Set when the members are `https://`.
    public var tls: TLSFiles?
    /// Every key Flotilla writes starts with it (`/registry`, as kube-apiserver).
    public var prefix: String

    public enum ParseError: Error, CustomStringConvertible, Equatable {
        case invalid(String)
        public var description: String { if case .invalid(let message) = self { message } else { "" } }
    }

    /// Parses `--etcd-servers` (comma-separated). TLS files are refused with `http://` members (they would be
    /// ignored) and the key without the certificate (or the other way round).
    public init(servers: String, prefix: String = "/registry", tls: TLSFiles = TLSFiles()) throws(ParseError) {
        var members: [Member] = []
        var schemes: Set<String> = []
        for raw in servers.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !raw.isEmpty {
            guard let url = URLComponents(string: raw), let scheme = url.scheme, ["http", "https"].contains(scheme),
                  let host = url.host, !host.isEmpty else {
                throw .invalid("--etcd-servers: \"\(raw)\" is not http://HOST:PORT or https://HOST:PORT")
            }
            guard url.path.isEmpty || url.path == "/" else { throw .invalid("--etcd-servers: \"\(raw)\" has a path; give the member's address only") }
            schemes.insert(scheme)
            members.append(Member(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: url.port ?? 2379))
        }
        guard !members.isEmpty else { throw .invalid("--etcd-servers: give at least one member, e.g. http://127.0.0.1:2379") }
        guard schemes.count == 1 else { throw .invalid("--etcd-servers: members mix http:// and https://") }
        let names = members.filter { !Self.isIPLiteral($0.host) }
        if !names.isEmpty, members.count > 1 {
            throw .invalid("--etcd-servers: with several members give IP addresses (\(names[0].host) is a name); one member may be a DNS name")
        }
        if Set(members.map { $0.host.contains(":") }).count > 1 {
            throw .invalid("--etcd-servers: members mix IPv4 and IPv6 addresses")
        }
        if (tls.certFile == nil) != (tls.keyFile == nil) {
            throw .invalid("--etcd-certfile and --etcd-keyfile go together")
        }
        let secure = schemes.first == "https"
        if !secure, tls != TLSFiles() {
            throw .invalid("--etcd-cafile, --etcd-certfile and --etcd-keyfile need https:// members")
        }
        guard prefix.hasPrefix("/"), !prefix.hasSuffix("/") || prefix == "/" else {
            throw .invalid("--etcd-prefix: \"\(prefix)\" must start with / and not end with one")
        }
        self.members = members
        self.tls = secure ? tls : nil
        self.prefix = prefix == "/" ? "" : prefix
    }

    static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
