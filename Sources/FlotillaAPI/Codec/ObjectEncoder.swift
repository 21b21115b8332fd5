import Foundation

/// Encodes Codable models into a `JSONValue` tree: the single encoding path for API objects.
public struct ObjectEncoder: Sendable {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws(EncodeError) -> JSONValue {
        if let fast = fastEncode(value) { return fast }
        do {
            return try encodeToValue(value, codingPath: [])
        } catch let error as EncodeError {
            throw error
        } catch {
            throw EncodeError(message: String(describing: error))
        }
    }

    /// Compact JSON bytes with sorted keys.
    public func encodeJSON<T: Encodable>(_ value: T) throws(EncodeError) -> [UInt8] {
        try encode(value).serialized()
    }
}

public struct EncodeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Encodes one value, with identity-checked fast paths for the common scalar types (see `decodeValue`).
func encodeToValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> JSONValue {
    if T.self == JSONValue.self { return unsafeBitCast(value, to: JSONValue.self) }
    if T.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
    if T.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
    if T.self == Int64.self { return .integer(unsafeBitCast(value, to: Int64.self)) }
    if T.self == Int32.self { return .integer(Int64(unsafeBitCast(value, to: Int32.self))) }
    if T.self == Int.self { return .integer(Int64(unsafeBitCast(value, to: Int.self))) }
    if T.self == Double.self {
        // Like Go's encoding/json: an integral float is written as an integer (30, not 30.0), so objects that went
        // through a typed model compare equal to what the user wrote.
        let d = unsafeBitCast(value, to: Double.self)
        if d.rounded() == d, abs(d) < 9.0e15 { return .integer(Int64(d)) }
        return .double(d)
    }
    // The other standard scalars by identity too: a protocol cast (`as any FixedWidthInteger`) on every struct,
    // array and dictionary encoded was a conformance lookup each.
    if T.self == Float.self { return .double(Double(unsafeBitCast(value, to: Float.self))) }
    if T.self == UInt8.self { return .integer(Int64(unsafeBitCast(value, to: UInt8.self))) }
    if T.self == UInt16.self { return .integer(Int64(unsafeBitCast(value, to: UInt16.self))) }
    if T.self == UInt32.self { return .integer(Int64(unsafeBitCast(value, to: UInt32.self))) }
    if T.self == Int8.self { return .integer(Int64(unsafeBitCast(value, to: Int8.self))) }
    if T.self == Int16.self { return .integer(Int64(unsafeBitCast(value, to: Int16.self))) }
    if T.self == UInt64.self || T.self == UInt.self {
        let wide = T.self == UInt64.self ? unsafeBitCast(value, to: UInt64.self) : UInt64(unsafeBitCast(value, to: UInt.self))
        guard let exact = Int64(exactly: wide) else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "integer out of range"))
        }
        return .integer(exact)
    }
    let encoder = ValueEncoder(codingPath: codingPath)
    try value.encode(to: encoder)
    return encoder.box.value
}

/// What an encoder has produced so far. Containers share the box, so nested writes land in their parent.
class EncodedStorage {
    enum Kind {
        case empty
        case single(JSONValue)
        /// A keyed container's members in the order written, sorted into an object once, at its final size.
        case members([(key: String, value: JSONValue)])
        case array([JSONValue])
        case unknownFields(JSONObject)
    }
    var kind: Kind = .empty
    /// An `UnknownFields` property's members, added to the object where no declared field took the key.
    var unknown: JSONObject = [:]

    var value: JSONValue {
        switch kind {
        case .empty: return .object([:])
        case .single(let v): return v
        case .members(let members):
            var object = JSONObject(unsortedMembers: members.map { JSONObject.Member($0.key, $0.value) })
            if !unknown.isEmpty { object.merge(unknown, uniquingKeysWith: { declared, _ in declared }) }
            return .object(object)
        case .array(let a): return .array(a)
        case .unknownFields(let o): return .object(o)
        }
    }

    /// Sets `key` in a keyed container's members (the last write of a key wins, as in a dictionary).
    func set(_ value: JSONValue, for key: String) {
        guard case .members(var members) = kind else { return }
        kind = .empty  // release the reference so the array is mutated in place
        members.append((key, value))
        kind = .members(members)
    }

    /// Sets `key` in place if present (a nested container rewriting itself into its parent on every change).
    func replace(_ value: JSONValue, for key: String) {
        guard case .members(var members) = kind else { return }
        kind = .empty
        if let index = members.firstIndex(where: { $0.key == key }) { members[index].value = value } else { members.append((key, value)) }
        kind = .members(members)
    }

    /// Starts a keyed container's members unless it has some already.
    func startMembers() {
        if case .members = kind { return }
        var members: [(key: String, value: JSONValue)] = []
        members.reserveCapacity(8)
        kind = .members(members)
    }
}

final class ValueEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    let box = EncodedStorage()

    init(codingPath: [any CodingKey]) { self.codingPath = codingPath }

    var storage: EncodedStorage.Kind {
        get { box.kind }
        set { box.kind = newValue }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        box.startMembers()
        return KeyedEncodingContainer(KeyedValueEncodingContainer<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = box.kind {} else { box.kind = .array([]) }
        return UnkeyedValueEncodingContainer(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueEncodingContainerImpl(box: box, codingPath: codingPath)
    }
}

/// A child value whose container writes back into a parent slot when it finishes.
final class NestedBox {
    let storage = EncodedStorage()
}

struct KeyedValueEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: EncodedStorage
    let codingPath: [any CodingKey]

    func set(_ value: JSONValue, for key: String) { box.set(value, for: key) }

    func encodeNil(forKey key: Key) throws { set(.null, for: key.stringValue) }

    func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        if T.self == UnknownFields.self {
            // Declared fields win (`EncodedStorage.value`): an unknown key never overrides what the model wrote.
            box.unknown.merge(unsafeBitCast(value, to: UnknownFields.self).members, uniquingKeysWith: { _, new in new })
            return
        }
        // The parent's path stands in for the field's: building a path per field would cost an allocation each.
        set(try encodeToValue(value, codingPath: codingPath), for: key.stringValue)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        // Nested containers are rare in Flotilla's models; encode eagerly through a child encoder and link it.
        let child = LinkedChild(parent: box, key: key.stringValue)
        child.box.startMembers()
        return KeyedEncodingContainer(KeyedValueEncodingContainer<NestedKey>(box: child.box, codingPath: codingPath + [key]))
    }

    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = LinkedChild(parent: box, key: key.stringValue)
        child.box.kind = .array([])
        return UnkeyedValueEncodingContainer(box: child.box, codingPath: codingPath + [key])
    }

    func superEncoder() -> any Encoder { ValueEncoder(codingPath: codingPath) }
    func superEncoder(forKey key: Key) -> any Encoder { ValueEncoder(codingPath: codingPath + [key]) }
}

/// A nested container's storage that copies itself into the parent object whenever it changes.
final class LinkedChild {
    let box: LinkedStorage
    init(parent: EncodedStorage, key: String) { box = LinkedStorage(parent: parent, key: key) }
}

final class LinkedStorage: EncodedStorage {
    let parent: EncodedStorage
    let key: String
    init(parent: EncodedStorage, key: String) {
        self.parent = parent
        self.key = key
    }
    override var kind: Kind {
        didSet { parent.replace(value, for: key) }
    }
}

struct UnkeyedValueEncodingContainer: UnkeyedEncodingContainer {
    let box: EncodedStorage
    let codingPath: [any CodingKey]

    var count: Int {
        if case .array(let items) = box.kind { return items.count }
        return 0
    }

    func append(_ value: JSONValue) {
        guard case .array(var items) = box.kind else { return }
        box.kind = .empty
        items.append(value)
        box.kind = .array(items)
    }

    func encodeNil() throws { append(.null) }

    func encode<T: Encodable>(_ value: T) throws {
        append(try encodeToValue(value, codingPath: codingPath))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let index = count
        append(.object([:]))
        let child = LinkedIndexStorage(parent: box, index: index)
        child.startMembers()
        return KeyedEncodingContainer(KeyedValueEncodingContainer<NestedKey>(box: child, codingPath: codingPath + [IndexKey(index)]))
    }

    func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let index = count
        append(.array([]))
        let child = LinkedIndexStorage(parent: box, index: index)
        child.kind = .array([])
        return UnkeyedValueEncodingContainer(box: child, codingPath: codingPath + [IndexKey(index)])
    }

    func superEncoder() -> any Encoder { ValueEncoder(codingPath: codingPath) }
}

final class LinkedIndexStorage: EncodedStorage {
    let parent: EncodedStorage
    let index: Int
    init(parent: EncodedStorage, index: Int) {
        self.parent = parent
        self.index = index
    }
    override var kind: Kind {
        didSet {
            guard case .array(var items) = parent.kind, index < items.count else { return }
            items[index] = value
            parent.kind = .array(items)
        }
    }
}

struct SingleValueEncodingContainerImpl: SingleValueEncodingContainer {
    let box: EncodedStorage
    let codingPath: [any CodingKey]

    func encodeNil() throws { box.kind = .single(.null) }

    func encode<T: Encodable>(_ value: T) throws {
        box.kind = .single(try encodeToValue(value, codingPath: codingPath))
    }
}
