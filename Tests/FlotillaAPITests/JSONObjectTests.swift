import Testing
@testable import FlotillaAPI

/// `JSONObject` against `Dictionary` as the oracle: the same operations give the same members, and the members stay
/// sorted with no key repeated whatever the order they came in.
@Suite struct JSONObjectTests {
    /// A small deterministic generator, so a failure names its seed.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static func isSortedAndUnique(_ object: JSONObject) -> Bool {
        zip(object.members, object.members.dropFirst()).allSatisfy { $0.key < $1.key }
    }

    /// Sizes on both sides of the look-up's switch from scanning to bisecting (8 members).
    @Test(arguments: [1, 2, 5, 8, 9, 17, 60])
    func randomEditsAgreeWithADictionary(keySpace: Int) {
        var generator = Generator(state: UInt64(keySpace))
        var object: JSONObject = [:]
        var oracle: [String: JSONValue] = [:]
        for step in 0..<2_000 {
            let key = "k\(generator.next(keySpace))"
            switch generator.next(5) {
            case 0, 1:
                object[key] = .integer(Int64(step))
                oracle[key] = .integer(Int64(step))
            case 2:
                #expect(object.removeValue(forKey: key) == oracle.removeValue(forKey: key))
            case 3:
                #expect(object.updateValue(.string("u\(step)"), forKey: key) == oracle.updateValue(.string("u\(step)"), forKey: key))
            default:
                var other: [String: JSONValue] = [:]
                other["k\(generator.next(keySpace))"] = .bool(true)
                other["k\(generator.next(keySpace))"] = .null
                object.merge(JSONObject(other)) { old, _ in old }
                oracle.merge(other) { old, _ in old }
            }
            #expect(object[key] == oracle[key])
        }
        #expect(object.dictionary == oracle)
        #expect(object.count == oracle.count)
        #expect(Self.isSortedAndUnique(object))
        #expect(Array(object.keys) == oracle.keys.sorted())
    }

    /// Parsed and literal objects: any order in, sorted out; a repeated key keeps its last value, as encoding/json.
    @Test(arguments: [
        (#"{"b":1,"a":2}"#, #"{"a":2,"b":1}"#),
        (#"{"a":1,"a":2}"#, #"{"a":2}"#),
        (#"{"c":1,"b":2,"c":3,"a":4,"b":5}"#, #"{"a":4,"b":5,"c":3}"#),
        (#"{"z":{"y":1,"x":2},"m":[{"q":1,"p":2}]}"#, #"{"m":[{"p":2,"q":1}],"z":{"x":2,"y":1}}"#),
    ])
    func anyOrderInSortedOut(text: String, expected: String) throws {
        let value = try JSONValue.parse(text)
        #expect(value.serializedString() == expected)
        #expect(try JSONValue.parse(expected) == value)
    }

    /// A large unsorted object with repeats takes the general sort, and still keeps each key's last value.
    @Test func largeObjectsWithRepeatedKeysKeepTheLastValue() throws {
        var generator = Generator(state: 7)
        var text = "{"
        var last: [String: Int] = [:]
        for i in 0..<300 {
            let key = "key-\(generator.next(120))"
            text += (i > 0 ? "," : "") + "\"\(key)\":\(i)"
            last[key] = i
        }
        text += "}"
        guard case .object(let object) = try JSONValue.parse(text) else {
            Issue.record("not an object")
            return
        }
        #expect(Self.isSortedAndUnique(object))
        #expect(object.dictionary == last.mapValues { JSONValue.integer(Int64($0)) })
    }

    @Test func equalMembersAreEqualAndHashAlikeWhateverTheirOrderOfInsertion() {
        var a: JSONObject = [:]
        for key in ["c", "a", "b"] { a[key] = .string(key) }
        let b: JSONObject = ["b": "b", "c": "c", "a": "a"]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([JSONValue.object(a), .object(b)]).count == 1)
    }

    @Test func dictionaryShapedHelpersKeepTheOrder() {
        let object: JSONObject = ["b": 2, "a": 1, "c": "x"]
        #expect(Array(object.keys) == ["a", "b", "c"])
        #expect(object.mapValues { $0 == .integer(1) ? JSONValue.null : $0 } == ["a": .null, "b": 2, "c": "x"])
        #expect(object.filter { $0.key != "b" } == ["a": 1, "c": "x"])
        #expect(object.compactMapValues(\.stringValue) == ["c": "x"])
        #expect(object.map(\.key) == ["a", "b", "c"])
        let merged = object.merging(["a": 9, "d": 4]) { _, new in new }
        #expect(merged == ["a": 9, "b": 2, "c": "x", "d": 4])
    }
}
