import FlotillaAPI
import Testing
@testable import FlotillaScheduler

@Suite struct WebsterTests {
    typealias Party = Webster.Party

    static func seats(_ result: [Party]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: result.map { ($0.name, $0.seats) })
    }

    @Test func fnv1aMatchesTheReferenceValues() {
        #expect(FNV1a.hash32("") == 2_166_136_261)
        #expect(FNV1a.hash32("a") == 3_826_002_220)
        #expect(FNV1a.hash32("uid-1") == 1_355_045_443)
    }

    struct WebsterCase: Sendable, CustomStringConvertible {
        var total: Int
        var parties: [Party]
        var uid: String
        var expected: [String: Int]
        var description: String { "\(total) seats, \(parties.map { "\($0.name):\($0.votes)/\($0.seats)" }), uid \"\(uid)\"" }
    }

    /// Expected values worked out by hand from the rule (see the worked example in Webster.swift).
    static let cases: [WebsterCase] = [
        WebsterCase(total: 5, parties: [Party(name: "a", votes: 2, seats: 0), Party(name: "b", votes: 1, seats: 0)], uid: "", expected: ["a": 3, "b": 2]),
        WebsterCase(total: 3, parties: [Party(name: "a", votes: 1, seats: 0), Party(name: "b", votes: 1, seats: 0), Party(name: "c", votes: 1, seats: 0)], uid: "", expected: ["a": 1, "b": 1, "c": 1]),
        // 4th seat: all priorities 1/3, seats equal → name order; "" hashes even (ascending): a
        WebsterCase(total: 4, parties: [Party(name: "a", votes: 1, seats: 0), Party(name: "b", votes: 1, seats: 0), Party(name: "c", votes: 1, seats: 0)], uid: "", expected: ["a": 2, "b": 1, "c": 1]),
        // "uid-2" hashes even: ascending
        WebsterCase(total: 4, parties: [Party(name: "a", votes: 1, seats: 0), Party(name: "b", votes: 1, seats: 0), Party(name: "c", votes: 1, seats: 0)], uid: "uid-2", expected: ["a": 2, "b": 1, "c": 1]),
        // "uid-1" hashes odd: descending, c
        WebsterCase(total: 4, parties: [Party(name: "a", votes: 1, seats: 0), Party(name: "b", votes: 1, seats: 0), Party(name: "c", votes: 1, seats: 0)], uid: "uid-1", expected: ["a": 1, "b": 1, "c": 2]),
        // initial seats count: a at 1/5, b at 1/1 → b
        WebsterCase(total: 1, parties: [Party(name: "a", votes: 1, seats: 2), Party(name: "b", votes: 1, seats: 0)], uid: "", expected: ["a": 2, "b": 1]),
        // equal priority 3/3 = 1/1: fewer current seats wins before names
        WebsterCase(total: 1, parties: [Party(name: "a", votes: 3, seats: 1), Party(name: "b", votes: 1, seats: 0)], uid: "", expected: ["a": 1, "b": 1]),
        // no votes: keeps its seats, never gains one
        WebsterCase(total: 2, parties: [Party(name: "x", votes: 0, seats: 3), Party(name: "a", votes: 1, seats: 0)], uid: "", expected: ["a": 2, "x": 3]),
        // nothing to hand out: the initial assignment
        WebsterCase(total: 0, parties: [Party(name: "a", votes: 5, seats: 1), Party(name: "b", votes: 1, seats: 0)], uid: "", expected: ["a": 1, "b": 0]),
    ]

    @Test(arguments: cases)
    func apportions(_ example: WebsterCase) {
        let result = Webster.apportion(example.total, among: example.parties, bindingUID: example.uid)
        #expect(Self.seats(result) == example.expected)
        #expect(result.map(\.name) == result.map(\.name).sorted())
    }

    @Test func noVotesMeansNothingIsHandedOut() {
        let result = Webster.apportion(3, among: [Party(name: "a", votes: 0), Party(name: "b", votes: 0, seats: 1)])
        #expect(Self.seats(result) == ["a": 0, "b": 1])
    }

    /// The property Karmada moved to Webster for (issue #6735): adding a replica never takes one away.
    @Test func isMonotoneInTheTotal() {
        let parties = [Party(name: "edge-1", votes: 5), Party(name: "edge-2", votes: 3), Party(name: "cloud", votes: 2)]
        var previous = Self.seats(Webster.apportion(0, among: parties, bindingUID: "uid-1"))
        for total in 1...60 {
            let current = Self.seats(Webster.apportion(total, among: parties, bindingUID: "uid-1"))
            #expect(current.values.reduce(0, +) == total)
            for (name, count) in previous { #expect(current[name]! >= count, "total \(total): \(name) lost a replica") }
            previous = current
        }
    }

    @Test func largeDivisionsAreExactAndProportional() {
        let parties = (0..<1000).map { Party(name: String(format: "site-%04d", $0), votes: Int64($0 % 10 + 1)) }
        let result = Webster.apportion(10_000, among: parties)
        #expect(result.map(\.seats).reduce(0, +) == 10_000)
        // Σ votes = 100 × 55 = 5,500: a weight-10 site gets about 10/5500 × 10,000 ≈ 18.2 seats.
        let heavy = result.filter { $0.votes == 10 }.map(\.seats)
        #expect(heavy.allSatisfy { (17...19).contains($0) })
    }

    /// `seated` divides over the few parties that can win a seat; it must give exactly `apportion`'s seated parties,
    /// ties and both name directions included.
    @Test(arguments: [1, 2, 3, 4, 5])
    func seatedAgreesWithTheFullDivision(seed: UInt64) {
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        for _ in 0..<200 {
            // Few distinct vote counts, so ties are common; some parties without votes.
            let parties = (0..<(1 + next(40))).map { Webster.Party(name: "c\(next(1000))-\($0)", votes: Int64(next(4) * 3)) }
            let seats = next(15)
            let uid = ["", "uid-1", "uid-2", "uid-\(next(100))"][next(4)]
            let full = Webster.apportion(seats, among: parties, bindingUID: uid).filter { $0.seats > 0 }
            #expect(Webster.seated(seats, among: parties, bindingUID: uid) == full, "\(seats) seats over \(parties.map { "\($0.name):\($0.votes)" }) uid \(uid)")
        }
    }
}
