import HTTPTypes
import FlotillaAPI
import Hummingbird
import NIOCore

/// Building responses: every body is JSON from `JSONValue`, and every failure is a Kubernetes `Status`.
enum Responses {
    static let warningHeader = HTTPField.Name("Warning")!

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = MediaTypes.json,
                     warnings: [String] = []) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        for warning in warnings { headers.append(HTTPField(name: warningHeader, value: "299 - \"\(warning)\"")) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    /// The one place an `APIError` becomes an HTTP response.
    static func error(_ error: APIError) -> Response {
        var headers: HTTPFields = [.contentType: MediaTypes.json]
        if let retry = error.details?.retryAfterSeconds { headers[.retryAfter] = String(retry) }
        let body = (try? ObjectEncoder().encode(error.status)) ?? .object([:])
        return Response(status: .init(code: error.code), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.serialized())))
    }

    static func plain(_ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A body written chunk by chunk as `chunks` yields them (server-sent events). It ends when the stream does, when
    /// the client goes away, or when the server drains its watches on shutdown; ending it cancels the producer's
    /// iteration, which finishes the producer's stream.
    static func stream(_ chunks: AsyncStream<[UInt8]>, status: HTTPResponse.Status, contentType: String, channel: (any Channel)?,
                       watches: WatchRegistry) -> Response {
        let body = ResponseBody { writer in
            let (items, continuation) = AsyncStream<[UInt8]>.makeStream()
            let registration = watches.register { continuation.finish() }
            defer { watches.unregister(registration) }
            channel?.closeFuture.whenComplete { _ in continuation.finish() }
            let forward = Task {
                for await chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }
            defer { forward.cancel() }
            for await chunk in items { try await writer.write(ByteBuffer(bytes: chunk)) }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: [.contentType: contentType, .cacheControl: "no-cache"], body: body)
    }
}
