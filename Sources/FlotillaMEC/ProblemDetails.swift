import FlotillaAPI
import FlotillaAPIExtension
import HTTPTypes
import Hummingbird

/// An RFC 7807 ProblemDetails answer from the control plane's MEC-shaped APIs (MEC 011 service management, the access
/// API gateway), with 3GPP's `invalidParams` when one field is at fault.
struct ProblemDetails: Error {
    var status: Int
    var detail: String
    var invalidParam: (param: String, reason: String)?

    init(_ status: Int, _ detail: String, invalidParam: (param: String, reason: String)? = nil) {
        self.status = status
        self.detail = detail
        self.invalidParam = invalidParam
    }

    /// A 400 naming one field.
    static func invalid(_ param: String, _ reason: String) -> ProblemDetails {
        ProblemDetails(400, "\(param): \(reason)", invalidParam: (param, reason))
    }

    func response(instance: String) -> ExtensionResponse {
        var body: JSONValue = ["type": "about:blank", "title": .string(HTTPResponse.Status(code: status).reasonPhrase),
                               "status": .integer(Int64(status)), "detail": .string(detail), "instance": .string(instance)]
        if let invalidParam { body["invalidParams"] = [["param": .string(invalidParam.param), "reason": .string(invalidParam.reason)]] }
        return ExtensionResponse(status: HTTPResponse.Status(code: status), content: .bytes(body.serialized(), contentType: "application/problem+json"))
    }

    /// Runs a handler and turns whatever it throws into a ProblemDetails answer: its own, an `APIError` with its code,
    /// anything else as a 500.
    static func answering(_ request: Request, _ handler: () async throws -> ExtensionResponse) async -> ExtensionResponse {
        do {
            return try await handler()
        } catch let problem as ProblemDetails {
            return problem.response(instance: request.uri.path)
        } catch let error as APIError {
            return ProblemDetails(error.code, error.message).response(instance: request.uri.path)
        } catch {
            return ProblemDetails(500, "\(error)").response(instance: request.uri.path)
        }
    }
}
