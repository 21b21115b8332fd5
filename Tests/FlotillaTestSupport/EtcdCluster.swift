import Dispatch
import FlotillaServer
import Foundation
import Synchronization

/// Real etcd members (Debian's `etcd-server`) on loopback ports chosen at start, for the tests that need etcd. Each
/// member has its own data directory under the temporary folder; `stop()` kills the members and removes it.
public final class EtcdCluster: Sendable {
    public struct Member: Sendable {
        public let name: String
        public let clientPort: Int
        public let peerPort: Int
        public let tls: Bool
        public var clientURL: String { "\(tls ? "https" : "http")://127.0.0.1:\(clientPort)" }
    }

    /// With `start(tls: true)`: the PEM files of the CA the members' serving certificates come from, and of a client
    /// certificate the members accept (they require one).
    public struct TLSFiles: Sendable {
        public let caFile: String
        public let certFile: String
        public let keyFile: String
    }

    public let members: [Member]
    public let tls: TLSFiles?
    let directory: URL
    let processes: Mutex<[Int: Process]>

    /// `--etcd-servers` for every member.
    public var servers: String { members.map(\.clientURL).joined(separator: ",") }

    public enum Failure: Error, CustomStringConvertible {
        case notInstalled
        case notReady(String)
        public var description: String {
            switch self {
            case .notInstalled: "etcd is not installed (scripts/test installs Debian's etcd-server)"
            case .notReady(let why): "etcd did not become ready: \(why)"
            }
        }
    }

    /// Whether etcd can be started here.
    public static var installed: Bool { executable != nil }

    static var executable: String? {
        ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private init(members: [Member], directory: URL, tls: TLSFiles?) {
        self.members = members
        self.directory = directory
        self.tls = tls
        processes = Mutex([:])
    }

    /// Starts `count` members as one new cluster and returns once every member answers `/health`. With `tls`, the
    /// members serve clients over HTTPS with a certificate from a CA of the cluster's own and require a client
    /// certificate from it (`--client-cert-auth`); `tls` names the files.
    public static func start(members count: Int = 1, tls: Bool = false) async throws -> EtcdCluster {
        guard executable != nil else { throw Failure.notInstalled }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-etcd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ports = try freePorts(count * 2)
        let members = (0..<count).map { Member(name: "m\($0)", clientPort: ports[2 * $0], peerPort: ports[2 * $0 + 1], tls: tls) }
        let cluster = EtcdCluster(members: members, directory: directory, tls: tls ? try Self.issueCertificates(in: directory) : nil)
        do {
            for index in members.indices { try cluster.launch(index) }
            for index in members.indices { try await cluster.waitHealthy(index) }
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    func launch(_ index: Int) throws {
        let member = members[index]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable!)
        let initial = members.map { "\($0.name)=http://127.0.0.1:\($0.peerPort)" }.joined(separator: ",")
        process.arguments = [
            "--name", member.name, "--data-dir", directory.appendingPathComponent(member.name).path,
            "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", "http://127.0.0.1:\(member.peerPort)",
            "--initial-advertise-peer-urls", "http://127.0.0.1:\(member.peerPort)",
            "--initial-cluster", initial, "--initial-cluster-state", "new",
            "--initial-cluster-token", directory.lastPathComponent,
            // Quick elections on loopback, quiet logs.
            "--heartbeat-interval", "50", "--election-timeout", "500", "--logger", "zap", "--log-level", "error",
        ]
        if tls != nil {
            let pki = directory.appendingPathComponent("pki").path
            process.arguments! += ["--cert-file", "\(pki)/server.crt", "--key-file", "\(pki)/server.key",
                                   "--trusted-ca-file", "\(pki)/ca.crt", "--client-cert-auth"]
        }
        process.standardOutput = FileHandle.nullDevice
        let log = FileManager.default.createFile(atPath: directory.appendingPathComponent("\(member.name).log").path, contents: nil)
            ? try? FileHandle(forWritingTo: directory.appendingPathComponent("\(member.name).log")) : nil
        process.standardError = log ?? FileHandle.nullDevice
        try process.run()
        processes.withLock { $0[index] = process }
    }

    func waitHealthy(_ index: Int, seconds: Double = 20) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            // Blocking socket I/O, so off the cooperative pool (two threads on the CI machine).
            let port = members[index].clientPort
            let tls = self.tls
            let healthy = await withCheckedContinuation { done in
                DispatchQueue.global().async { done.resume(returning: tls.map { Self.answersOverTLS(port: port, $0) } ?? Self.answers(port: port)) }
            }
            if healthy { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure.notReady("member \(members[index].name) on port \(members[index].clientPort) did not answer within \(seconds) s")
    }

    /// SIGKILLs one member (a crash); the others keep quorum when there are three.
    public func kill(_ index: Int) {
        guard let process = processes.withLock({ $0.removeValue(forKey: index) }) else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Freezes a member (SIGSTOP): its connections stay open but nothing answers, as in a network partition.
    public func pause(_ index: Int) {
        if let pid = processes.withLock({ $0[index]?.processIdentifier }) { Foundation.kill(pid, SIGSTOP) }
    }

    public func resume(_ index: Int) {
        if let pid = processes.withLock({ $0[index]?.processIdentifier }) { Foundation.kill(pid, SIGCONT) }
    }

    /// Kills every member and removes the data directories.
    public func stop() {
        let all = processes.withLock { processes in
            defer { processes = [:] }
            return Array(processes.values)
        }
        for process in all {
            Foundation.kill(process.processIdentifier, SIGCONT)
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Whether etcd's client port accepts a connection and answers `/health` with a healthy member.
    static func answers(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        let request = Array("GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard send(fd, request, request.count, 0) == request.count else { return false }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            reply += buffer[0..<n]
        }
        return String(decoding: reply, as: UTF8.self).contains("\"health\":\"true\"")
    }

    /// Whether a member serving over TLS answers `etcdctl endpoint health` (Debian's etcd-client) with the client
    /// certificate.
    static func answersOverTLS(port: Int, _ files: TLSFiles) -> Bool {
        guard let etcdctl = ["/usr/bin/etcdctl", "/usr/local/bin/etcdctl"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: etcdctl)
        process.arguments = ["--endpoints", "https://127.0.0.1:\(port)", "--cacert", files.caFile, "--cert", files.certFile,
                             "--key", files.keyFile, "--command-timeout", "1s", "endpoint", "health"]
        process.environment = ["ETCDCTL_API": "3"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// A CA, a serving certificate for 127.0.0.1 and a client certificate, under `directory/pki`.
    static func issueCertificates(in directory: URL) throws -> TLSFiles {
        let pki = directory.appendingPathComponent("pki")
        try FileManager.default.createDirectory(at: pki, withIntermediateDirectories: true)
        let authority = try CertificateAuthority.loadOrCreate(in: pki, name: "etcd-test-ca")
        let serving = try authority.issueServing(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        let client = try authority.issueClient(user: "flotilla", groups: [])
        try serving.certificatePEM.write(to: pki.appendingPathComponent("server.crt"), atomically: true, encoding: .utf8)
        try writeSecret(serving.keyPEM, to: pki.appendingPathComponent("server.key"))
        try client.certificatePEM.write(to: pki.appendingPathComponent("client.crt"), atomically: true, encoding: .utf8)
        try writeSecret(client.keyPEM, to: pki.appendingPathComponent("client.key"))
        // loadOrCreate wrote the CA's certificate as ca.crt: etcd's --trusted-ca-file and the client's CA.
        let path = pki.path
        return TLSFiles(caFile: "\(path)/ca.crt", certFile: "\(path)/client.crt", keyFile: "\(path)/client.key")
    }

    /// Ports the kernel hands out now (bound, read, closed): free for the members to take a moment later.
    static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        return try (0..<count).map { _ in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                    bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            guard bound else { throw Failure.notReady("no free port") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }
}

extension EtcdCluster {
    /// At most this many test clusters at once in one test process: the suite runs tests in parallel, and twenty
    /// etcd members starting together on two cores time out each other's first requests.
    public static let slots = TestSlots(3)
}

/// A counting semaphore for tests: `acquire` waits for a free slot.
public actor TestSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(_ count: Int) { free = count }

    public func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    public func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
