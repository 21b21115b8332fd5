/// The members of a JSON object, kept sorted by key (`String`'s order, the order the serializer writes).
///
/// A sorted array, not a hashed dictionary (docs/decisions/0005-sorted-json-objects.md):
/// - parsing our own output (the store, every watch event) finds the members already in order and builds the object
///   in one pass, with no hashing;
/// - serializing writes the members as they are, with no sort per object;
/// - `@FastJSON` models write their fields in an order fixed when they are compiled;
/// - equal objects have equal members in equal order, so equality, hashing and serialized bytes agree.
/// Looking a key up scans a few members or bisects many. A repeated key keeps its last value, as encoding/json does.
///
/// The API mirrors the parts of `Dictionary` that JSON code uses: `object[key]` to read, write or remove, iteration
/// as `(key, value)` pairs in key order, `keys`, `values`, `mapValues`, `filter`, `merge`.
public struct JSONObject: Sendable, Hashable {
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue
        @inline(__always) public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// Sorted by key, keys unique.
    public private(set) var members: [Member]

    @inline(__always) public init() { members = [] }

    /// Members already sorted by key with no key repeated: what `@FastJSON`'s coders and the parser build.
    @inline(__always) public init(sortedUniqueMembers: [Member]) {
        assert(zip(sortedUniqueMembers, sortedUniqueMembers.dropFirst()).allSatisfy { $0.key < $1.key }, "members out of order")
        members = sortedUniqueMembers
    }

    /// Members in any order; a repeated key keeps its last value.
    public init(unsortedMembers: [Member]) {
        members = unsortedMembers
        Self.sortKeepingLast(&members)
    }

    public init(_ dictionary: [String: JSONValue]) {
        members = dictionary.map { Member($0.key, $0.value) }
        members.sort { $0.key < $1.key }
    }

    /// The members as a `Dictionary`, for code that needs hashed look-ups over many keys.
    public var dictionary: [String: JSONValue] {
        var result = [String: JSONValue](minimumCapacity: members.count)
        for member in members { result[member.key] = member.value }
        return result
    }

    /// Sorts stably by key, then keeps the last of each run of equal keys.
    static func sortKeepingLast(_ members: inout [Member]) {
        guard members.count > 1 else { return }
        var sorted = true
        for i in 1..<members.count where !(members[i - 1].key < members[i].key) {
            sorted = false
            break
        }
        if sorted { return }
        if members.count <= 16 {
            for i in 1..<members.count {
                let member = members[i]
                var slot = i
                while slot > 0, member.key < members[slot - 1].key {
                    members[slot] = members[slot - 1]
                    slot -= 1
                }
                members[slot] = member
            }
        } else {
            // Stable: the position breaks ties, so the last of equal keys stays last.
            let ordered = members.enumerated().sorted { a, b in
                a.element.key < b.element.key || (a.element.key == b.element.key && a.offset < b.offset)
            }
            members = ordered.map(\.element)
        }
        var write = 0
        for read in 0..<members.count {
            if write > 0, members[write - 1].key == members[read].key {
                members[write - 1] = members[read]
            } else {
                members[write] = members[read]
                write += 1
            }
        }
        members.removeSubrange(write...)
    }

    /// The position of `key`, or where it would go. Reads the keys in place: iterating the members copied each one
    /// (a retain and a release of its key and value per member looked at).
    @inline(__always) func search(_ key: String) -> (found: Bool, index: Int) {
        members.withUnsafeBufferPointer { members in
            if members.count <= 8 {
                for index in members.indices {
                    if members[index].key == key { return (true, index) }
                    if key < members[index].key { return (false, index) }
                }
                return (false, members.count)
            }
            var low = 0
            var high = members.count
            while low < high {
                let middle = (low + high) / 2
                if members[middle].key == key { return (true, middle) }
                if members[middle].key < key { low = middle + 1 } else { high = middle }
            }
            return (false, low)
        }
    }

    public subscript(key: String) -> JSONValue? {
        get {
            let (found, index) = search(key)
            return found ? members[index].value : nil
        }
        set {
            let (found, index) = search(key)
            switch (found, newValue) {
            case (true, let value?): members[index].value = value
            case (true, nil): members.remove(at: index)
            case (false, let value?): members.insert(Member(key, value), at: index)
            case (false, nil): break
            }
        }
    }

    public subscript(key: String, default defaultValue: @autoclosure () -> JSONValue) -> JSONValue {
        get { self[key] ?? defaultValue() }
        set { self[key] = newValue }
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        let (found, index) = search(key)
        return found ? members.remove(at: index).value : nil
    }

    @discardableResult
    public mutating func updateValue(_ value: JSONValue, forKey key: String) -> JSONValue? {
        let old = self[key]
        self[key] = value
        return old
    }

    public var keys: LazyMapSequence<[Member], String> { members.lazy.map(\.key) }
    public var values: LazyMapSequence<[Member], JSONValue> { members.lazy.map(\.value) }

    public func mapValues(_ transform: (JSONValue) throws -> JSONValue) rethrows -> JSONObject {
        JSONObject(sortedUniqueMembers: try members.map { Member($0.key, try transform($0.value)) })
    }

    /// Values of another type, in a `Dictionary` (typed maps such as labels).
    public func mapValues<T>(_ transform: (JSONValue) throws -> T) rethrows -> [String: T] {
        var result = [String: T](minimumCapacity: members.count)
        for member in members { result[member.key] = try transform(member.value) }
        return result
    }

    public func compactMapValues(_ transform: (JSONValue) throws -> JSONValue?) rethrows -> JSONObject {
        JSONObject(sortedUniqueMembers: try members.compactMap { member in
            try transform(member.value).map { Member(member.key, $0) }
        })
    }

    /// Values of another type, in a `Dictionary`, without the ones `transform` drops (`labels`).
    public func compactMapValues<T>(_ transform: (JSONValue) throws -> T?) rethrows -> [String: T] {
        var result = [String: T](minimumCapacity: members.count)
        for member in members { if let value = try transform(member.value) { result[member.key] = value } }
        return result
    }

    public func filter(_ isIncluded: ((key: String, value: JSONValue)) throws -> Bool) rethrows -> JSONObject {
        JSONObject(sortedUniqueMembers: try members.filter { try isIncluded(($0.key, $0.value)) })
    }

    /// Adds `other`'s members; `combine` decides a key both hold. One pass over both sorted lists.
    public mutating func merge(_ other: JSONObject, uniquingKeysWith combine: (JSONValue, JSONValue) throws -> JSONValue) rethrows {
        if other.members.isEmpty { return }
        if members.isEmpty {
            members = other.members
            return
        }
        var merged: [Member] = []
        merged.reserveCapacity(members.count + other.members.count)
        var i = 0
        var j = 0
        while i < members.count, j < other.members.count {
            let mine = members[i]
            let theirs = other.members[j]
            if mine.key == theirs.key {
                merged.append(Member(mine.key, try combine(mine.value, theirs.value)))
                i += 1
                j += 1
            } else if mine.key < theirs.key {
                merged.append(mine)
                i += 1
            } else {
                merged.append(theirs)
                j += 1
            }
        }
        merged.append(contentsOf: members[i...])
        merged.append(contentsOf: other.members[j...])
        members = merged
    }

    public mutating func merge(_ other: [String: JSONValue], uniquingKeysWith combine: (JSONValue, JSONValue) throws -> JSONValue) rethrows {
        try merge(JSONObject(other), uniquingKeysWith: combine)
    }

    public func merging(_ other: JSONObject, uniquingKeysWith combine: (JSONValue, JSONValue) throws -> JSONValue) rethrows -> JSONObject {
        var copy = self
        try copy.merge(other, uniquingKeysWith: combine)
        return copy
    }

}

extension JSONObject: RandomAccessCollection {
    public typealias Element = (key: String, value: JSONValue)
    @inline(__always) public var startIndex: Int { 0 }
    @inline(__always) public var endIndex: Int { members.count }
    @inline(__always) public subscript(position: Int) -> Element {
        let member = members[position]
        return (member.key, member.value)
    }
    @inline(__always) public var count: Int { members.count }
    @inline(__always) public var isEmpty: Bool { members.isEmpty }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(unsortedMembers: elements.map { Member($0.0, $0.1) })
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    public init(_ object: JSONObject) { self = object.dictionary }
}
