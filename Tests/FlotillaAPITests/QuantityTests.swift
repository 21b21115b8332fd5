import Testing
@testable import FlotillaAPI

@Suite struct QuantityTests {
    /// input → canonical text, value in nanos. Expected values worked out from the Kubernetes rules by hand.
    @Test(arguments: [
        ("500m", "500m", Int128(500_000_000)),
        ("1Gi", "1Gi", Int128(1_073_741_824) * 1_000_000_000),
        ("2", "2", Int128(2_000_000_000)),
        ("1.5", "1500m", Int128(1_500_000_000)),
        ("100Mi", "100Mi", Int128(104_857_600) * 1_000_000_000),
        ("1.5Gi", "1536Mi", Int128(1_610_612_736) * 1_000_000_000),
        ("1000m", "1", Int128(1_000_000_000)),
        ("0.5", "500m", Int128(500_000_000)),
        ("0.5Ki", "512", Int128(512_000_000_000)),
        ("1024", "1024", Int128(1_024_000_000_000)),
        ("1k", "1k", Int128(1_000_000_000_000)),
        ("1500", "1500", Int128(1_500_000_000_000)),
        ("1e3", "1e3", Int128(1_000_000_000_000)),
        ("1.5e3", "1500", Int128(1_500_000_000_000)),
        ("100n", "100n", Int128(100)),
        ("0.1m", "100u", Int128(100_000)),
        ("-2", "-2", Int128(-2_000_000_000)),
        ("+3M", "3M", Int128(3_000_000) * 1_000_000_000),
        ("0", "0", Int128(0)),
        ("0.0001n", "1n", Int128(1)),
        ("2048Ki", "2Mi", Int128(2_097_152) * 1_000_000_000),
        (".5", "500m", Int128(500_000_000)),
        ("5.", "5", Int128(5_000_000_000)),
    ])
    func parsesAndPrintsCanonically(input: String, canonical: String, nanos: Int128) throws {
        let q = try Quantity(parsing: input)
        #expect(q.nanos == nanos)
        #expect(q.canonical == canonical)
        // The canonical form parses back to the same value.
        #expect(try Quantity(parsing: canonical) == q)
    }

    @Test(arguments: ["", "m", "1.2.3", "1Qi", "abc", "1 Gi", "--1", "1e", "1ee3", "1e99", "0x10", "1,5"])
    func rejectsMalformed(input: String) {
        #expect(throws: QuantityParseError.self) { _ = try Quantity(parsing: input) }
    }

    @Test func arithmeticIsExact() throws {
        let a = try Quantity(parsing: "100m")
        let b = try Quantity(parsing: "200m")
        #expect((a + b).canonical == "300m")
        #expect((a + b) == (try Quantity(parsing: "0.3")))
        let memory = try Quantity(parsing: "1Gi") - (try Quantity(parsing: "256Mi"))
        #expect(memory.canonical == "768Mi")
        #expect((try Quantity(parsing: "250m")) * 4 == Quantity(1))
        #expect(try Quantity(parsing: "2Gi").whole(try Quantity(parsing: "300Mi")) == 6)
        #expect(Quantity(1).whole(.zero) == nil)
    }

    @Test func comparesAcrossSuffixes() throws {
        #expect(try Quantity(parsing: "1Gi") == (try Quantity(parsing: "1024Mi")))
        #expect(try Quantity(parsing: "1G") < (try Quantity(parsing: "1Gi")))
        #expect(try Quantity(parsing: "999m") < Quantity(1))
        #expect(Set([try Quantity(parsing: "1"), try Quantity(parsing: "1000m")]).count == 1)
    }

    @Test func valuesRoundUpLikeKubernetes() throws {
        #expect(try Quantity(parsing: "1500m").value == 2)
        #expect(try Quantity(parsing: "1.1m").milliValue == 2)
        #expect(try Quantity(parsing: "2Ki").value == 2048)
    }

    @Test func decodesStringsAndNumbers() throws {
        let decoded = try ObjectDecoder().decode([String: Quantity].self, from: ["cpu": "250m", "pods": 110, "ratio": 0.5])
        #expect(decoded["cpu"]?.canonical == "250m")
        #expect(decoded["pods"]?.canonical == "110")
        #expect(decoded["ratio"]?.canonical == "500m")
        #expect(try ObjectEncoder().encode(decoded["cpu"]!) == "250m")
    }
}
