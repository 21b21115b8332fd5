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
}
