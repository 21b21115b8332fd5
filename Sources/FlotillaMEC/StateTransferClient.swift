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

    public func export(from endpoint: String, session: String, freeze: Bool) async throws(MECError) -> ExportedState {
        let reply = try await transport.send(.POST, url(endpoint, session, "/export?freeze=\(freeze)"))
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

    static func check(_ reply: HTTPTransport.Reply, step: String, expect: Int) throws(MECError) {
        guard reply.status != expect else { return }
        let text = String(decoding: reply.body.prefix(300), as: UTF8.self)
        throw MECError(.refused(reply.status), "\(step) answered \(reply.status)\(text.isEmpty ? "" : ": \(text)")")
    }
}
