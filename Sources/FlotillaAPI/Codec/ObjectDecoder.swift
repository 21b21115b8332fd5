import Foundation

/// Decodes Codable models from a `JSONValue` tree: the single decoding path for API objects.
///
/// Errors carry the JSON field path (`spec.template.spec.containers[0].image`) so that a person can act on them.
public struct ObjectDecoder: Sendable {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(DecodeError) -> T {
        do {
            return try T(from: ValueDecoder(value: value, codingPath: []))
        } catch let error as DecodingError {
            throw DecodeError(error)
        } catch let error as DecodeError {
            throw error
        } catch {
            throw DecodeError(path: "", message: String(describing: error))
        }
    }

    /// Parses JSON bytes and decodes them.
    public func decode<T: Decodable>(_ type: T.Type, fromJSON data: some Collection<UInt8>) throws(DecodeError) -> T {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch { throw DecodeError(path: "", message: error.description) }
        return try decode(type, from: value)
    }
}

/// A decoding failure with the field path it happened at.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    init(_ error: DecodingError) {
        func path(_ codingPath: [any CodingKey]) -> String { FieldPath(codingPath: codingPath).description }
        switch error {
        case .typeMismatch(let type, let context):
            self.init(path: path(context.codingPath), message: "expected \(Self.jsonTypeName(type)): \(context.debugDescription)")
        case .valueNotFound(let type, let context):
            self.init(path: path(context.codingPath), message: "required value of type \(Self.jsonTypeName(type)) is missing")
        case .keyNotFound(let key, let context):
            self.init(path: path(context.codingPath + [key]), message: "required field is missing")
        case .dataCorrupted(let context):
            self.init(path: path(context.codingPath), message: context.debugDescription)
        @unknown default:
            self.init(path: "", message: String(describing: error))
        }
    }

    static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "string"
        case is Bool.Type: return "boolean"
        case is any BinaryInteger.Type: return "integer"
        case is any BinaryFloatingPoint.Type: return "number"
        default: return String(describing: type)
        }
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// The `Decoder` behind `ObjectDecoder`. Tracks which keys each keyed container read so that `UnknownFields`
/// can collect the rest.
final class ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// Set only while decoding an `UnknownFields` property: the members its container did not read.
    var unknownFieldsPayload: [String: JSONValue]?

    init(value: JSONValue, codingPath: [any CodingKey], unknownFieldsPayload: [String: JSONValue]? = nil) {
        self.value = value
        self.codingPath = codingPath
        self.unknownFieldsPayload = unknownFieldsPayload
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw DecodingError.typeMismatch([String: JSONValue].self, .init(
                codingPath: codingPath, debugDescription: "found \(value.typeName)"))
        }
        return KeyedDecodingContainer(KeyedValueDecodingContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else {
            throw DecodingError.typeMismatch([JSONValue].self, .init(
                codingPath: codingPath, debugDescription: "found \(value.typeName)"))
        }
        return UnkeyedValueDecodingContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueDecodingContainerImpl(value: value, codingPath: codingPath)
    }
}

/// Index keys for arrays in coding paths.
struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { self.intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

final class AccessedKeys {
    var keys: Set<String> = []
}

struct KeyedValueDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]
    let accessed = AccessedKeys()

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool {
        members[key.stringValue] != nil || key.stringValue == UnknownFieldsKey.name
    }

    func value(for key: Key) throws -> JSONValue {
        accessed.keys.insert(key.stringValue)
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        accessed.keys.insert(key.stringValue)
        return members[key.stringValue] == nil || members[key.stringValue] == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        if type == UnknownFields.self {
            let leftover = members.filter { !accessed.keys.contains($0.key) }
            return try T(from: ValueDecoder(value: .null, codingPath: codingPath, unknownFieldsPayload: leftover))
        }
        let raw = try value(for: key)
        return try decodeValue(type, raw, codingPath + [key])
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        if type == UnknownFields.self { return try decode(type, forKey: key) }
        accessed.keys.insert(key.stringValue)
        guard let raw = members[key.stringValue], raw != .null else { return nil }
        return try decodeValue(type, raw, codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try ValueDecoder(value: value(for: key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: value(for: key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { ValueDecoder(value: .object(members), codingPath: codingPath) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }
}

/// The reserved coding key name for `UnknownFields` properties.
enum UnknownFieldsKey {
    static let name = "unknownFields"
}

struct UnkeyedValueDecodingContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(items: [JSONValue], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func next() throws -> (JSONValue, [any CodingKey]) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: codingPath, debugDescription: "array ended"))
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return true }
        if items[currentIndex] == .null {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path) = try next()
        return try decodeValue(type, value, path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let (value, path) = try next()
        return try ValueDecoder(value: value, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, path) = try next()
        return try ValueDecoder(value: value, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, path) = try next()
        return ValueDecoder(value: value, codingPath: path)
    }
}

struct SingleValueDecodingContainerImpl: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { value == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeValue(type, value, codingPath)
    }
}

/// Decodes one value, with fast paths for scalars and `JSONValue` itself.
func decodeValue<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> T {
    func mismatch(_ expected: Any.Type) -> DecodingError {
        DecodingError.typeMismatch(expected, .init(codingPath: path, debugDescription: "found \(value.typeName)"))
    }
    switch type {
    case is JSONValue.Type:
        return value as! T
    case is String.Type:
        guard case .string(let s) = value else { throw mismatch(String.self) }
        return s as! T
    case is Bool.Type:
        guard case .bool(let b) = value else { throw mismatch(Bool.self) }
        return b as! T
    case is Double.Type:
        guard let d = value.doubleValue else { throw mismatch(Double.self) }
        return d as! T
    case is Float.Type:
        guard let d = value.doubleValue else { throw mismatch(Float.self) }
        return Float(d) as! T
    case let integer as any FixedWidthInteger.Type:
        guard let i = value.int64Value else { throw mismatch(type) }
        guard let converted = integer.init(exactly: i) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "\(i) does not fit in \(type)"))
        }
        return converted as! T
    default:
        return try T(from: ValueDecoder(value: value, codingPath: path))
    }
}
