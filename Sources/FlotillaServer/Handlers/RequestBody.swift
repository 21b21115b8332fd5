import FlotillaAPI
import Hummingbird
import NIOCore

/// Reading and parsing request bodies, with the API server's size limit and content types.
enum RequestBody {
    static func bytes(of request: Request) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > APIHandler.maxBodyBytes {
            throw tooLarge
        }
        do {
            let buffer = try await request.body.collect(upTo: APIHandler.maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch {
            throw tooLarge
        }
    }

    static let tooLarge = APIError(.requestEntityTooLarge, "the request body is larger than the limit of \(APIHandler.maxBodyBytes) bytes")

    /// An object body of a POST or PUT. No Content-Type means JSON (kubectl's `PUT …/scale` and the Python client
    /// send none); YAML is accepted as kubectl's `--raw` users expect.
    static func object(_ bytes: [UInt8], contentType: String?) throws(APIError) -> JSONValue {
        let type = MediaTypes.baseType(contentType) ?? MediaTypes.json
        let value: JSONValue
        switch type {
        case MediaTypes.json, "*/*":
            value = try parseJSON(bytes)
        case MediaTypes.yaml, "application/x-yaml", "text/yaml":
            do { value = try YAMLCodec.decode(String(decoding: bytes, as: UTF8.self)) } catch { throw .badRequest(error.description) }
        default:
            throw unsupported(type, accepted: [MediaTypes.json, MediaTypes.yaml])
        }
        guard value.objectValue != nil else { throw .badRequest("the request body must be a JSON object, found \(value.typeName)") }
        return value
    }

    static func parseJSON(_ bytes: [UInt8]) throws(APIError) -> JSONValue {
        guard !bytes.isEmpty else { throw .badRequest("the request body is empty") }
        do { return try JSONValue.parse(bytes) } catch { throw .badRequest(error.description) }
    }

    static func unsupported(_ type: String, accepted: [String]) -> APIError {
        APIError(.unsupportedMediaType,
            "the body of the request was in an unknown format (\(type)) - accepted media types include: \(accepted.joined(separator: ", "))")
    }
}
