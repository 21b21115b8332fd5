import Foundation

/// Decodes Codable models from a `JSONValue` tree: the single decoding path for API objects.
///
/// Errors carry the JSON field path (`spec.template.spec.containers[0].image`) so that a person can act on them.
public struct ObjectDecoder: Sendable {
    public init() {}

    /// Takes the model's `FastJSONCodable` path first when it has one; what that path does not take (it is never a
    /// different answer) goes through Codable, which also words the error.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(DecodeError) -> T {
        if let fast = fastDecode(type, from: value) { return fast }
        return try decode(type, from: value, recording: nil)
    }

    /// Decodes and reports every member that a model level without `UnknownFields` dropped
    /// (`spec.placement.spreadConstraints[0].spreadByFeild`).
    public func decodeReportingDroppedFields<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(DecodeError)
        -> (value: T, droppedFields: [String])
    {
        let dropped = DroppedFields()
        let result = try decode(type, from: value, recording: dropped)
        return (result, dropped.paths)
    }

    func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, recording dropped: DroppedFields?) throws(DecodeError) -> T {
        do {
            let decoder = ValueDecoder(value: value, node: .root(recording: dropped))
            let result = try T(from: decoder)
            decoder.recordDroppedMembers()
            return result
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

/// The coding path as a chain of parent links: built only when an error needs it, so decoding a field costs
/// no array copy (an eager `codingPath + [key]` per field was the decoder's largest cost).
final class CodingPathNode {
    let parent: CodingPathNode?
    let key: (any CodingKey)?
    /// Set when the caller wants to know which members typed models dropped; shared down the tree.
    let dropped: DroppedFields?

    init(parent: CodingPathNode?, key: (any CodingKey)?, dropped: DroppedFields? = nil) {
        self.parent = parent
        self.key = key
        self.dropped = dropped
    }

    static func root(recording dropped: DroppedFields? = nil) -> CodingPathNode {
        CodingPathNode(parent: nil, key: nil, dropped: dropped)
    }

    func child(_ key: any CodingKey) -> CodingPathNode { CodingPathNode(parent: self, key: key, dropped: dropped) }

    var path: [any CodingKey] {
        var keys: [any CodingKey] = []
        var node: CodingPathNode? = self
        while let current = node, let key = current.key {
            keys.append(key)
            node = current.parent
        }
        return keys.reversed()
    }
}

/// The `Decoder` behind `ObjectDecoder`. Keyed containers record which keys they read so that `UnknownFields`
/// can collect the rest.
final class ValueDecoder: Decoder {
    let value: JSONValue
    let node: CodingPathNode
    var codingPath: [any CodingKey] { node.path }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// Set only while decoding an `UnknownFields` property: the members its container did not read.
    var unknownFieldsPayload: JSONObject?
    /// The keyed container this decoder handed out, to find members a model without `UnknownFields` dropped.
    var keyedState: KeyedState?

    init(value: JSONValue, node: CodingPathNode, unknownFieldsPayload: JSONObject? = nil) {
        self.value = value
        self.node = node
        self.unknownFieldsPayload = unknownFieldsPayload
    }

    convenience init(value: JSONValue, codingPath: [any CodingKey]) {
        var node = CodingPathNode.root()
        for key in codingPath { node = node.child(key) }
        self.init(value: value, node: node)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw DecodingError.typeMismatch(JSONObject.self, .init(
                codingPath: codingPath, debugDescription: "found \(value.typeName)"))
        }
        let state = KeyedState(members: members)
        if node.dropped != nil { keyedState = state }
        return KeyedDecodingContainer(KeyedValueDecodingContainer<Key>(state: state, node: node))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else {
            throw DecodingError.typeMismatch([JSONValue].self, .init(
                codingPath: codingPath, debugDescription: "found \(value.typeName)"))
        }
        return UnkeyedValueDecodingContainer(items: items, node: node)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueDecodingContainerImpl(value: value, node: node)
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

/// A keyed container's object and which of its members have been read. Objects are small, so a list beats hashing
/// every key. Only members present are recorded (absent ones are never unread), so the list has room for them all from
/// the start: a model reading its 20 declared fields from an object holding 3 used to grow the list five times.
final class KeyedState {
    let members: JSONObject
    var accessed: [String] = []
    /// Whether an `UnknownFields` property took the unread members (then nothing was dropped).
    var preservedUnknown = false

    init(members: JSONObject) {
        self.members = members
        accessed.reserveCapacity(members.count)
    }

    /// The member `key`, recorded as read when present.
    func read(_ key: String) -> JSONValue? {
        guard let value = members[key] else { return nil }
        accessed.append(key)
        return value
    }
}

struct KeyedValueDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let state: KeyedState
    let node: CodingPathNode

    var codingPath: [any CodingKey] { node.path }
    var allKeys: [Key] { state.members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool {
        state.members[key.stringValue] != nil || key.stringValue == UnknownFieldsKey.name
    }

    func value(for key: Key) throws -> JSONValue {
        guard let value = state.read(key.stringValue) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let value = state.read(key.stringValue) else { return true }
        return value == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        if type == UnknownFields.self {
            let leftover = state.members.filter { !state.accessed.contains($0.key) }
            state.preservedUnknown = true
            return try T(from: ValueDecoder(value: .null, node: node, unknownFieldsPayload: leftover))
        }
        return try decodeValue(type, try value(for: key), node, key)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        if type == UnknownFields.self { return try decode(type, forKey: key) }
        guard let raw = state.read(key.stringValue), raw != .null else { return nil }
        return try decodeValue(type, raw, node, key)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try ValueDecoder(value: value(for: key), node: node.child(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: value(for: key), node: node.child(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { ValueDecoder(value: .object(state.members), node: node) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: state.members[key.stringValue] ?? .null, node: node.child(key))
    }
}

/// The reserved coding key name for `UnknownFields` properties.
enum UnknownFieldsKey {
    static let name = "unknownFields"
}

struct UnkeyedValueDecodingContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let node: CodingPathNode
    var currentIndex = 0

    init(items: [JSONValue], node: CodingPathNode) {
        self.items = items
        self.node = node
    }

    var codingPath: [any CodingKey] { node.path }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    mutating func next() throws -> (JSONValue, IndexKey) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: codingPath, debugDescription: "array ended"))
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], IndexKey(currentIndex))
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
        let (value, key) = try next()
        return try decodeValue(type, value, node, key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let (value, key) = try next()
        return try ValueDecoder(value: value, node: node.child(key)).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, key) = try next()
        return try ValueDecoder(value: value, node: node.child(key)).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, key) = try next()
        return ValueDecoder(value: value, node: node.child(key))
    }
}

struct SingleValueDecodingContainerImpl: SingleValueDecodingContainer {
    let value: JSONValue
    let node: CodingPathNode

    var codingPath: [any CodingKey] { node.path }

    func decodeNil() -> Bool { value == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeValue(type, value, node, nil)
    }
}

/// Decodes one value, with fast paths for scalars and `JSONValue` itself. Metatype identity checks (`==`) are
/// cheap; dynamic casts to protocol existentials are not, so the common types are tested by identity first.
func decodeValue<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ node: CodingPathNode, _ key: (any CodingKey)?) throws -> T {
    var path: [any CodingKey] { key.map { node.path + [$0] } ?? node.path }
    func mismatch(_ expected: Any.Type) -> DecodingError {
        DecodingError.typeMismatch(expected, .init(codingPath: path, debugDescription: "found \(value.typeName)"))
    }
    func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
        guard let i = value.int64Value else { throw mismatch(type) }
        guard let converted = I(exactly: i) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "\(i) does not fit in \(type)"))
        }
        return converted
    }
    if type == JSONValue.self { return unsafeBitCast(value, to: T.self) }
    if type == String.self {
        guard case .string(let s) = value else { throw mismatch(String.self) }
        return unsafeBitCast(s, to: T.self)
    }
    if type == Bool.self {
        guard case .bool(let b) = value else { throw mismatch(Bool.self) }
        return unsafeBitCast(b, to: T.self)
    }
    if type == Int64.self { return unsafeBitCast(try integer(Int64.self), to: T.self) }
    if type == Int32.self { return unsafeBitCast(try integer(Int32.self), to: T.self) }
    if type == Int.self { return unsafeBitCast(try integer(Int.self), to: T.self) }
    if type == Double.self {
        guard let d = value.doubleValue else { throw mismatch(Double.self) }
        return unsafeBitCast(d, to: T.self)
    }
    // The other standard scalars by identity too (a protocol cast per composite value was a conformance lookup each).
    if type == Float.self {
        guard let d = value.doubleValue else { throw mismatch(Float.self) }
        return unsafeBitCast(Float(d), to: T.self)
    }
    if type == UInt8.self { return unsafeBitCast(try integer(UInt8.self), to: T.self) }
    if type == UInt16.self { return unsafeBitCast(try integer(UInt16.self), to: T.self) }
    if type == UInt32.self { return unsafeBitCast(try integer(UInt32.self), to: T.self) }
    if type == UInt64.self { return unsafeBitCast(try integer(UInt64.self), to: T.self) }
    if type == UInt.self { return unsafeBitCast(try integer(UInt.self), to: T.self) }
    if type == Int8.self { return unsafeBitCast(try integer(Int8.self), to: T.self) }
    if type == Int16.self { return unsafeBitCast(try integer(Int16.self), to: T.self) }
    let decoder = ValueDecoder(value: value, node: key.map { node.child($0) } ?? node)
    let result = try T(from: decoder)
    decoder.recordDroppedMembers()
    return result
}

/// Paths of members that typed models read past without keeping (a model level without `UnknownFields`):
/// what `fieldValidation=Strict` reports as unknown fields.
public final class DroppedFields {
    public private(set) var paths: [String] = []
    public init() {}
    func append(_ path: String) { paths.append(path) }
}

extension ValueDecoder {
    func recordDroppedMembers() {
        guard let dropped = node.dropped, let state = keyedState, !state.preservedUnknown else { return }
        let prefix = FieldPath(codingPath: node.path).description
        for key in state.members.keys.sorted() where !state.accessed.contains(key) {
            dropped.append(prefix.isEmpty ? key : "\(prefix).\(key)")
        }
    }
}
