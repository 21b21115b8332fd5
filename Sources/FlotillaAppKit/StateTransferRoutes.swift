import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Adds the state-transfer protocol's endpoints for a `SessionTable` to an app's router.
public enum StateTransferRoutes {
    public static func add<State: TransferableState, Context: RequestContext>(to router: Router<Context>, table: SessionTable<State>,
                                                                               maxStateBytes: Int = 16 * 1024 * 1024) {
        let base = StateTransferProtocol.basePath
        router.post("\(base)/:id/export") { request, context in
            let id = try context.parameters.require("id")
            let freeze = request.uri.queryParameters.get("freeze") != "false"
            let lease = request.uri.queryParameters.get("leaseMs").flatMap { Int($0) }.map { Duration.milliseconds($0) }
            let successor = request.uri.queryParameters.get("successor").map { String($0) }
            return answer { () throws(StateTransferError) -> Response in
                let (data, version) = try table.export(id, freeze: freeze, lease: lease, successor: successor)
                return Response(status: .ok, headers: [.contentType: "application/octet-stream",
                                                        HTTPField.Name(StateTransferProtocol.versionHeader)!: String(version)],
                                body: .init(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
        router.put("\(base)/:id") { request, context in
            let id = try context.parameters.require("id")
            let version = request.headers[HTTPField.Name(StateTransferProtocol.versionHeader)!].flatMap { Int($0) } ?? 0
            let body = try await request.body.collect(upTo: maxStateBytes)
            return answer { () throws(StateTransferError) -> Response in
                try table.importState(id, data: Data(buffer: body), version: version)
                return Response(status: .created)
            }
        }
        router.post("\(base)/:id/resume") { _, context in
            let id = try context.parameters.require("id")
            return answer { () throws(StateTransferError) -> Response in
                try table.resume(id)
                return Response(status: .ok)
            }
        }
        router.delete("\(base)/:id") { request, context in
            let id = try context.parameters.require("id")
            if request.uri.queryParameters.get("unlessActive") == "true" {
                return table.releaseUnlessActive(id) ? Response(status: .noContent)
                    : Response(status: .conflict, headers: [HTTPField.Name(StateTransferProtocol.sessionHeader)!: "active"])
            }
            table.release(id)
            return Response(status: .noContent)
        }
        router.put("\(base)/:id/standby") { request, context in
            let id = try context.parameters.require("id")
            let body = try await request.body.collect(upTo: 64 * 1024)
            guard let assignment = try? JSONDecoder().decode(StandbyAssignment.self, from: Data(buffer: body)),
                  assignment.intervalMs >= 1, !assignment.endpoint.isEmpty else {
                return answer { () throws(StateTransferError) -> Response in throw .refused("want {\"endpoint\", \"epoch\", \"intervalMs\" ≥ 1}") }
            }
            return answer { () throws(StateTransferError) -> Response in
                try table.assignStandby(id, assignment)
                return Response(status: .ok)
            }
        }
        router.post("\(base)/:id/promote") { request, context in
            let id = try context.parameters.require("id")
            guard let epoch = request.uri.queryParameters.get("epoch").flatMap({ Int($0) }) else {
                return answer { () throws(StateTransferError) -> Response in throw .refused("promote needs ?epoch=N") }
            }
            return answer { () throws(StateTransferError) -> Response in
                let version = try table.promote(id, epoch: epoch)
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: #"{"version":\#(version),"epoch":\#(epoch)}"#)))
            }
        }
        router.post(RouterPath(StateTransferProtocol.checkpointsPath)) { request, _ in
            let body = try await request.body.collect(upTo: maxStateBytes)
            let binary = request.headers[.contentType]?.hasPrefix(CheckpointBatch.binaryContentType) == true
            guard let batch = binary ? CheckpointBatch(binary: body) : try? JSONDecoder().decode(CheckpointBatch.self, from: Data(buffer: body)) else {
                return answer { () throws(StateTransferError) -> Response in
                    throw .refused(binary ? "not a whole \(CheckpointBatch.binaryContentType) batch"
                                          : "want {\"checkpoints\": [{session, epoch, version, state}]}")
                }
            }
            var results: [CheckpointBatch.Result] = []
            for item in batch.checkpoints {
                do throws(StateTransferError) {
                    let result = try table.checkpoint(item.session, data: item.state, version: item.version, epoch: item.epoch)
                    results.append(.init(session: item.session, result: result.rawValue))
                } catch {
                    results.append(.init(session: item.session, result: "refused", message: error.message))
                }
            }
            // Answered in the batch's own form.
            if binary {
                return Response(status: .ok, headers: [.contentType: CheckpointBatch.Result.binaryContentType],
                                body: .init(byteBuffer: CheckpointBatch.Result.binary(results)))
            }
            let data = (try? JSONEncoder().encode(["results": results])) ?? Data()
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("\(base)/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let info = table.describe(id) else {
                return Response(status: .notFound)
            }
            let text = #"{"phase":"\#(info.phase.rawValue)","version":\#(info.version),"bytes":\#(info.bytes)}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    static func answer(_ body: () throws(StateTransferError) -> Response) -> Response {
        do {
            return try body()
        } catch {
            return Response(status: HTTPResponse.Status(code: error.status), headers: [.contentType: "text/plain"],
                            body: .init(byteBuffer: ByteBuffer(string: error.message)))
        }
    }
}
