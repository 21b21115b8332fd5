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

    /// The same admission for a typed object whose JSON form the caller already holds: typically the JSON it decoded
    /// the object from, with only the members it changed encoded again. Encoding a whole object was the scheduling
    /// loop's largest cost; this validates the typed object and stores `json` as it is. When defaults would change the
    /// object, `json` lacks them and the object is encoded after all. Debug builds check that `json` is the object's
    /// encoding, so every test that writes this way proves the caller kept the two in step.
    public static func admit(typed object: Self, json: JSONValue) -> Result<JSONValue, AdmissionFailure> {
        var object = object
        object.apiVersion = descriptor.apiVersion
        object.kind = descriptor.kind
        let given = object
        object.setDefaults()
        guard object == given else { return admit(typed: object) }
        let errors = object.metadata.validate(nameRule: descriptor.nameRule, namespaced: descriptor.namespaced) + object.validate()
        if !errors.isEmpty { return .failure(.invalid(errors)) }
        var json = json
        json["apiVersion"] = .string(descriptor.apiVersion)
        json["kind"] = .string(descriptor.kind)
        assert((try? ObjectEncoder().encode(object)) == json, "the JSON form of \(descriptor.kind) \(object.metadata.name ?? "") differs from its encoding")
        return .success(json)
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
