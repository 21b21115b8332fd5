import FlotillaAPI
import Hummingbird
import NIOCore

/// An ETSI `ProblemDetails` error: what the client sent wrong, with the HTTP status it maps to.
public struct ProblemDetails: Error, Sendable {
    public var status: HTTPResponse.Status
    public var detail: String
    /// 3GPP's `invalidParams` (TS 29.122): the fields at fault, each with why.
    public var invalidParams: [(param: String, reason: String)]

    public init(_ status: HTTPResponse.Status, _ detail: String, invalidParams: [(param: String, reason: String)] = []) {
        self.status = status
        self.detail = detail
        self.invalidParams = invalidParams
    }

    /// A 400 naming one field.
    static func invalid(_ param: String, _ reason: String) -> ProblemDetails {
        ProblemDetails(.badRequest, "\(param): \(reason)", invalidParams: [(param, reason)])
    }

    static func badRequest(_ detail: String) -> ProblemDetails { ProblemDetails(.badRequest, detail) }
    static func notFound(_ detail: String) -> ProblemDetails { ProblemDetails(.notFound, detail) }

    func response(instance: String) -> Response {
        var body: JSONValue = [
            "type": .string("about:blank"),
            "title": .string(status.reasonPhrase),
            "status": .integer(Int64(status.code)),
            "detail": .string(detail),
            "instance": .string(instance),
        ]
        if !invalidParams.isEmpty {
            body["invalidParams"] = .array(invalidParams.map { ["param": .string($0.param), "reason": .string($0.reason)] })
        }
        return Response(status: status, headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body.serialized())))
    }
}

/// Turns thrown `ProblemDetails` (and anything unexpected) into ProblemDetails responses.
struct ProblemDetailsMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as ProblemDetails {
            return problem.response(instance: request.uri.path)
        } catch let error as HTTPError {
            return ProblemDetails(error.status, error.body ?? error.status.reasonPhrase).response(instance: request.uri.path)
        }
    }
}

enum Reply {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, location: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let location { headers[.location] = location }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    static func body(_ request: Request) async throws -> JSONValue {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        do {
            return try JSONValue.parse(Array(buffer.readableBytesView))
        } catch {
            throw ProblemDetails.badRequest("the body is not JSON: \(error)")
        }
    }
}

extension Request {
    /// A query parameter parsed as a number, or a 400 naming the parameter.
    func number(_ name: String) throws -> Double? {
        guard let text = uri.queryParameters.get(name) else { return nil }
        guard let value = Double(text), value.isFinite else { throw ProblemDetails.badRequest("\(name) must be a number, not \"\(text)\"") }
        return value
    }
}
