/// The members of a JSON object that a typed model does not declare, kept so that a template round-trips without loss.
///
/// Declare it as the **last** stored property of a Codable struct (`var unknownFields = UnknownFields()`):
/// `ObjectDecoder` fills it with every key the properties before it did not read, and `ObjectEncoder` writes
/// those keys back beside the declared ones (an object keeps its members sorted by key), never over one. Other
/// coders do not know this contract, so it refuses them.
public struct UnknownFields: Sendable, Hashable, Codable {
    public var members: JSONObject

    public init(_ members: JSONObject = [:]) { self.members = members }

    public var isEmpty: Bool { members.isEmpty }

    public subscript(key: String) -> JSONValue? {
        get { members[key] }
        set { members[key] = newValue }
    }

    public init(from decoder: any Decoder) throws {
        guard let source = decoder as? ValueDecoder, let leftover = source.unknownFieldsPayload else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "UnknownFields decodes only through ObjectDecoder"))
        }
        self.members = leftover
    }

    public func encode(to encoder: any Encoder) throws {
        guard let sink = encoder as? ValueEncoder else {
            throw EncodingError.invalidValue(self, .init(
                codingPath: encoder.codingPath, debugDescription: "UnknownFields encodes only through ObjectEncoder"))
        }
        sink.storage = .unknownFields(members)
    }
}

/// Equality that ignores unknown fields is never wanted for objects, so `Hashable` above compares them too.
extension UnknownFields: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.members = JSONObject(unsortedMembers: elements.map { JSONObject.Member($0.0, $0.1) })
    }
}
