import FlotillaAPI
import Foundation

/// The opaque `continue` token of a paginated list: the revision the first page was read at and the last key
/// returned. Base64 of a small JSON object, like the Kubernetes API server's.
struct ContinueToken: Equatable {
    var revision: Int64
    var startAfter: String

    var encoded: String {
        let value: JSONValue = ["v": "flotilla.io/v1", "rv": .integer(revision), "start": .string(startAfter)]
        return Data(value.serialized()).base64EncodedString()
    }

    init(revision: Int64, startAfter: String) {
        self.revision = revision
        self.startAfter = startAfter
    }

    init(decoding token: String) throws(APIError) {
        guard let data = Data(base64Encoded: token), let value = try? JSONValue.parse(data),
            value["v"]?.stringValue == "flotilla.io/v1", let revision = value["rv"]?.int64Value,
            let start = value["start"]?.stringValue
        else { throw .badRequest("continue key is not valid: \(token)") }
        self.revision = revision
        self.startAfter = start
    }
}
