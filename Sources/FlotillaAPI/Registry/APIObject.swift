/// A typed API kind. Conformers are plain Codable structs with `unknownFields` last, so unknown members survive.
public protocol APIObject: Codable, Sendable, Hashable {
    static var descriptor: ResourceDescriptor { get }
    var apiVersion: String? { get set }
    var kind: String? { get set }
    var metadata: ObjectMeta { get set }
    /// Sets the kind's defaults on fields the user left out.
    mutating func setDefaults()
    /// Field errors beyond what decoding catches. Metadata is checked by `admit` for every kind.
    func validate() -> [FieldError]
}

extension APIObject {
    public mutating func setDefaults() {}
    public func validate() -> [FieldError] { [] }

    /// The descriptor's `admit` for typed kinds: decode, default, validate metadata and spec, re-encode.
    public static func admit(_ value: JSONValue) -> Result<JSONValue, AdmissionFailure> {
        do {
            return admit(typed: try ObjectDecoder().decode(Self.self, from: value))
        } catch {
            return .failure(.malformed(error))
        }
    }

    /// The same admission for an object already typed (an in-process controller's write): nothing to decode.
    public static func admit(typed object: Self) -> Result<JSONValue, AdmissionFailure> {
        var object = object
        object.apiVersion = descriptor.apiVersion
        object.kind = descriptor.kind
        object.setDefaults()
        let errors = object.metadata.validate(nameRule: descriptor.nameRule, namespaced: descriptor.namespaced) + object.validate()
        if !errors.isEmpty { return .failure(.invalid(errors)) }
        do {
            return .success(try ObjectEncoder().encode(object))
        } catch {
            return .failure(.malformed(DecodeError(path: "", message: error.message)))
        }
    }

    /// The descriptor's `unknownFields` for typed kinds.
    public static func unknownFieldPaths(_ value: JSONValue) -> [String] {
        (try? ObjectDecoder().decodeReportingDroppedFields(Self.self, from: value).droppedFields) ?? []
    }

    /// Decodes a typed object from its JSON form.
    public init(json value: JSONValue) throws(DecodeError) {
        self = try ObjectDecoder().decode(Self.self, from: value)
    }

    /// The JSON form, with apiVersion and kind filled in.
    public func json() -> JSONValue {
        var copy = self
        copy.apiVersion = copy.apiVersion ?? Self.descriptor.apiVersion
        copy.kind = copy.kind ?? Self.descriptor.kind
        // Encoding a Codable struct of JSON-compatible members cannot fail.
        return (try? ObjectEncoder().encode(copy)) ?? .null
    }
}
