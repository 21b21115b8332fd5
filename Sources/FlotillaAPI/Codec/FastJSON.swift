/// A model that converts to and from a `JSONValue` without Codable: the path `ObjectDecoder` and `ObjectEncoder`
/// take first for the hot kinds (docs/decisions/0004-fast-json-models.md).
///
/// Structs get it from `@FastJSON`, which writes both directions out from the stored properties. Scalars, arrays,
/// string-keyed dictionaries and the few hand-coded types (`Quantity`, `Timestamp`, `IntOrString`, string enums)
/// conform below. The fast path gives the same value as Codable for every input it accepts; for anything else
/// (a wrong type, a missing required field, a value out of range) it throws `FastJSONMiss`, and `ObjectDecoder`
/// decodes the input again through Codable, which names the field and the problem.
public protocol FastJSONCodable {
    init(fastJSON value: JSONValue) throws
    var fastJSON: JSONValue { get }
}

/// The fast path does not take this input; the Codable path decides (and words the error).
public struct FastJSONMiss: Error, Sendable {
    public init() {}
}

/// Writes `init(fastJSON:)` and `fastJSON` for a struct from its stored properties (`FlotillaMacros`).
@attached(extension, conformances: FastJSONCodable, names: named(init(fastJSON:)), named(fastJSON))
public macro FastJSON() = #externalMacro(module: "FlotillaMacros", type: "FastJSONMacro")

extension JSONValue: FastJSONCodable {
    /// Declared `throws` (it never does) so that generated code can call every property type's coder alike.
    @inline(__always) public init(fastJSON value: JSONValue) throws { self = value }
    @inline(__always) public var fastJSON: JSONValue { self }
}

extension String: FastJSONCodable {
    @inline(__always) public init(fastJSON value: JSONValue) throws {
        guard case .string(let s) = value else { throw FastJSONMiss() }
        self = s
    }
    @inline(__always) public var fastJSON: JSONValue { .string(self) }
}

extension Bool: FastJSONCodable {
    @inline(__always) public init(fastJSON value: JSONValue) throws {
        guard case .bool(let b) = value else { throw FastJSONMiss() }
        self = b
    }
    @inline(__always) public var fastJSON: JSONValue { .bool(self) }
}

/// Integers accept what Codable's path accepts: an integer, or a number with no fraction, that fits.
extension Int64: FastJSONCodable {
    @inline(__always) public init(fastJSON value: JSONValue) throws {
        guard let i = value.int64Value else { throw FastJSONMiss() }
        self = i
    }
    @inline(__always) public var fastJSON: JSONValue { .integer(self) }
}

extension Int32: FastJSONCodable {
    @inline(__always) public init(fastJSON value: JSONValue) throws {
        guard let i = value.int64Value, let exact = Int32(exactly: i) else { throw FastJSONMiss() }
        self = exact
    }
    @inline(__always) public var fastJSON: JSONValue { .integer(Int64(self)) }
}

extension Int: FastJSONCodable {
    @inline(__always) public init(fastJSON value: JSONValue) throws {
        guard let i = value.int64Value, let exact = Int(exactly: i) else { throw FastJSONMiss() }
        self = exact
    }
    @inline(__always) public var fastJSON: JSONValue { .integer(Int64(self)) }
}

extension Double: FastJSONCodable {
    @inline(__always) public init(fastJSON value: JSONValue) throws {
        guard let d = value.doubleValue else { throw FastJSONMiss() }
        self = d
    }
    /// An integral value is written as an integer, as `ObjectEncoder` does (30, not 30.0).
    @inline(__always) public var fastJSON: JSONValue {
        if rounded() == self, abs(self) < 9.0e15 { return .integer(Int64(self)) }
        return .double(self)
    }
}

extension Array: FastJSONCodable where Element: FastJSONCodable {
    public init(fastJSON value: JSONValue) throws {
        guard case .array(let items) = value else { throw FastJSONMiss() }
        self = []
        reserveCapacity(items.count)
        for item in items { append(try Element(fastJSON: item)) }
    }
    public var fastJSON: JSONValue { .array(map(\.fastJSON)) }
}

extension Dictionary: FastJSONCodable where Key == String, Value: FastJSONCodable {
    public init(fastJSON value: JSONValue) throws {
        guard case .object(let members) = value else { throw FastJSONMiss() }
        self = try members.mapValues { try Value(fastJSON: $0) }
    }
    public var fastJSON: JSONValue { .object(JSONObject(unsortedMembers: map { JSONObject.Member($0.key, $0.value.fastJSON) })) }
}

/// String enums (`ConditionStatus`): declare the conformance, the raw value does the rest.
extension FastJSONCodable where Self: RawRepresentable, RawValue == String {
    public init(fastJSON value: JSONValue) throws {
        guard case .string(let s) = value, let parsed = Self(rawValue: s) else { throw FastJSONMiss() }
        self = parsed
    }
    public var fastJSON: JSONValue { .string(rawValue) }
}

extension ObjectDecoder {
    /// The fast path for `T`, or `nil` when `T` has none or `value` is not in a shape it takes.
    @inline(__always) func fastDecode<T>(_ type: T.Type, from value: JSONValue) -> T? {
        guard let fast = type as? any FastJSONCodable.Type else { return nil }
        func open<F: FastJSONCodable>(_: F.Type) -> T? {
            guard let decoded = try? F(fastJSON: value) else { return nil }
            return unsafeBitCast(decoded, to: T.self)
        }
        return open(fast)
    }
}

extension ObjectEncoder {
    /// The fast path's encoding of `value`, or `nil` when `T` has none.
    @inline(__always) func fastEncode<T>(_ value: T) -> JSONValue? {
        guard let fast = T.self as? any FastJSONCodable.Type else { return nil }
        func open<F: FastJSONCodable>(_: F.Type) -> JSONValue { unsafeBitCast(value, to: F.self).fastJSON }
        return open(fast)
    }
}
