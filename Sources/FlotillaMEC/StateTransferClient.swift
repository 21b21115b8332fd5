import FlotillaAppKit
import Foundation

/// The mobility service's side of the state-transfer protocol (docs/state-transfer.md): one call per step, against
/// an instance's `host:port`.
public struct StateTransferClient: Sendable {
    let transport: HTTPTransport

    public init(transport: HTTPTransport) { self.transport = transport }

    public struct ExportedState: Sendable {
        public var data: Data
        public var version: Int
    }

    func url(_ endpoint: String, _ session: String, _ suffix: String = "") -> String {
        "http://\(endpoint)\(StateTransferProtocol.sessionPath(session))\(suffix)"
    }

    /// `lease`/`successor` with `freeze`: the source resumes by itself (or releases, if the successor serves it)
    /// unless resumed or released within the lease.
    public func export(from endpoint: String, session: String, freeze: Bool, lease: Duration? = nil, successor: String? = nil)
        async throws(MECError) -> ExportedState
    {
        var query = "freeze=\(freeze)"
        if let lease { query += "&leaseMs=\(lease.components.seconds * 1000 + lease.components.attoseconds / 1_000_000_000_000_000)" }
        if let successor { query += "&successor=\(successor)" }
        let reply = try await transport.send(.POST, url(endpoint, session, "/export?\(query)"))
        try Self.check(reply, step: "export", expect: 200)
        let version = reply.headers.first(name: StateTransferProtocol.versionHeader).flatMap { Int($0) } ?? 0
        return ExportedState(data: reply.body, version: version)
    }

    public func importState(_ state: ExportedState, to endpoint: String, session: String, stage: String) async throws(MECError) {
        let reply = try await transport.send(.PUT, url(endpoint, session, "?stage=\(stage)"), body: state.data,
            headers: [("Content-Type", "application/octet-stream"), (StateTransferProtocol.versionHeader, String(state.version))])
        try Self.check(reply, step: "import", expect: 201)
    }

    public func resume(at endpoint: String, session: String) async throws(MECError) {
        try Self.check(try await transport.send(.POST, url(endpoint, session, "/resume")), step: "resume", expect: 200)
    }

    public func release(at endpoint: String, session: String) async throws(MECError) {
        try Self.check(try await transport.send(.DELETE, url(endpoint, session)), step: "release", expect: 204)
    }

    /// Releases the copy at `endpoint` unless it serves: true when released (or never there), false when it serves.
    public func releaseUnlessActive(at endpoint: String, session: String) async throws(MECError) -> Bool {
        let reply = try await transport.send(.DELETE, url(endpoint, session, "?unlessActive=true"))
        if reply.status == 409 { return false }
        try Self.check(reply, step: "release", expect: 204)
        return true
    }

    /// What the instance at `endpoint` holds of the session: its phase, absent (404), or unknown (no answer).
    public func held(at endpoint: String, session: String) async -> MigrationRecovery.Held {
        guard let reply = try? await transport.send(.GET, url(endpoint, session)) else { return .unknown }
        if reply.status == 404 { return .absent }
        guard reply.status == 200, let text = String(data: reply.body, encoding: .utf8),
              let range = text.range(of: #""phase":"[A-Za-z]+""#, options: .regularExpression) else { return .unknown }
        return .phase(String(text[range].dropFirst(9).dropLast()))
    }

    static func check(_ reply: HTTPTransport.Reply, step: String, expect: Int) throws(MECError) {
        guard reply.status != expect else { return }
        let text = String(decoding: reply.body.prefix(300), as: UTF8.self)
        throw MECError(.refused(reply.status), "\(step) answered \(reply.status)\(text.isEmpty ? "" : ": \(text)")")
    }
}
