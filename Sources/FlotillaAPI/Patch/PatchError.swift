/// Why a patch could not be applied. The API maps it to 400 BadRequest (malformed) or 422 Invalid (conflict with
/// the document, e.g. a JSON-patch `test` that fails or a path that does not exist).
public struct PatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case malformed
        case unprocessable
    }

    public var kind: Kind
    public var message: String

    public static func malformed(_ message: String) -> PatchError { PatchError(kind: .malformed, message: message) }
    public static func unprocessable(_ message: String) -> PatchError { PatchError(kind: .unprocessable, message: message) }

    public var description: String { message }

    public var apiError: APIError {
        kind == .malformed ? .badRequest(message) : APIError(.invalid, message)
    }
}
