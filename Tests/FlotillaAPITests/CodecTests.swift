import Foundation
import Testing
@testable import FlotillaAPI

@Suite struct JSONValueTests {
    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":"x\ny","d":1.5,"e":-0.25,"f":{}}"#,
        #"[]"#, #""\u00e9\ud83d\ude00""#, #"12345678901234"#, #"-7"#, #"1e300"#,
    ])
    func roundTripsThroughParserAndSerializer(text: String) throws {
        let value = try JSONValue.parse(text)
        let again = try JSONValue.parse(value.serialized())
        #expect(value == again)
    }

    @Test func integersStayIntegers() throws {
        let value = try JSONValue.parse(#"{"replicas":3,"ratio":0.5}"#)
        #expect(value["replicas"] == .integer(3))
        #expect(value["ratio"] == .double(0.5))
        #expect(value.serializedString() == #"{"ratio":0.5,"replicas":3}"#)
    }

    @Test(arguments: [
        ("{", "unexpected end of input"), (#"{"a" 1}"#, "expected ':'"), ("[1,]", "unexpected character ']'"),
        ("01", "leading zero"), (#""\x""#, "invalid escape"), ("{} x", "after the document"),
        (#"{"a":tru}"#, "invalid literal"), ("\"\u{01}\"", "control character"),
    ])
    func rejectsMalformedJSONWithPosition(text: String, fragment: String) {
        #expect {
            _ = try JSONValue.parse(text)
        } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.message.contains(fragment) && error.line == 1
        }
    }

    /// Keys come out sorted whatever the object's size (small ones are sorted in stack memory), and integers of every
    /// magnitude and sign are written exactly.
    @Test(arguments: [0, 1, 2, 7, 40, 300])
    func objectKeysAreSortedAtEverySize(count: Int) throws {
        let keys = (0..<count).map { "k\(($0 * 7919) % 1000)-\($0)" }
        let value = JSONValue.object(JSONObject(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.integer(Int64($0.count))) })))
        let text = value.serializedString()
        let expected = "{" + keys.sorted().map { "\"\($0)\":\($0.count)" }.joined(separator: ",") + "}"
        #expect(text == expected)
    }

    @Test(arguments: [Int64.min, -1_000_000_007, -10, -9, 0, 9, 10, 4_294_967_296, Int64.max])
    func integersAreWrittenExactly(value: Int64) throws {
        #expect(JSONValue.integer(value).serializedString() == String(value))
        #expect(try JSONValue.parse(JSONValue.integer(value).serialized()) == .integer(value))
    }

    /// RFC 3339 in UTC as Kubernetes writes it, across the epoch, a leap day and the four-digit years' ends; a year
    /// past 9999 still prints (with five digits) rather than being cut.
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"), (1_800_000_000, "2027-01-15T08:00:00Z"), (-1, "1969-12-31T23:59:59Z"),
        (951_782_400, "2000-02-29T00:00:00Z"), (1_000_000_000, "2001-09-09T01:46:40Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"), (-62_135_596_800, "0001-01-01T00:00:00Z"),
        (253_402_300_800, "10000-01-01T00:00:00Z"),
    ])
    func timestampsPrintAsRFC3339(seconds: Int64, text: String) {
        #expect(Timestamp(seconds: seconds).rfc3339 == text)
        if text.count == 20 { #expect(Timestamp(rfc3339: text)?.seconds == seconds) }
    }

    @Test func deepNestingIsRejectedNotCrashing() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { _ = try JSONValue.parse(text) }
    }

    @Test func reportsLineAndColumn() {
        do {
            _ = try JSONValue.parse("{\n  \"a\": 1,\n  \"b\": ?\n}")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 8)
        }
    }
}

@Suite struct ObjectCodecTests {
    static let deploymentYAML = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: game
          namespace: games
          labels: {app: game}
          someFutureMetadataField: kept
        spec:
          replicas: 3
          selector:
            matchLabels: {app: game}
          template:
            metadata:
              labels: {app: game}
            spec:
              affinity:
                nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: gpu, operator: Exists}]}]}}
              volumes: [{name: data, emptyDir: {}}]
              containers:
              - name: server
                image: flotilla/mobile-game:1
                readinessProbe: {httpGet: {path: /healthz, port: 8080}}
                env: [{name: TICK, value: "30"}]
                ports: [{containerPort: 8080, name: http}]
                resources:
                  requests: {cpu: 500m, memory: 256Mi}
                  limits: {cpu: "1", memory: 512Mi}
        """

    @Test func deploymentKeepsFieldsItDoesNotModel() throws {
        let source = try YAMLCodec.decode(Self.deploymentYAML)
        let deployment = try Deployment(json: source)
        #expect(deployment.spec.replicas == 3)
        #expect(deployment.spec.template.spec.containers[0].resources?.requests?["cpu"] == Quantity(milli: 500))
        #expect(deployment.spec.template.spec.unknownFields["affinity"] != nil)
        #expect(deployment.metadata.unknownFields["someFutureMetadataField"] == "kept")
        let encoded = deployment.json()
        #expect(encoded == source)
    }

    /// Every standard scalar takes the codec's identity-checked path: values round-trip, and out-of-range integers
    /// are errors with their path, not crashes.
    struct Scalars: Codable, Equatable {
        var u8: UInt8, u16: UInt16, u32: UInt32, u64: UInt64, u: UInt, i8: Int8, i16: Int16, f: Float
    }

    @Test func everyStandardScalarRoundTrips() throws {
        let value = Scalars(u8: 255, u16: 65_535, u32: 4_000_000_000, u64: 1 << 62, u: 7, i8: -128, i16: -32_768, f: 1.5)
        let encoded = try ObjectEncoder().encode(value)
        #expect(encoded["u32"] == .integer(4_000_000_000))
        #expect(encoded["f"] == .double(1.5))
        #expect(try ObjectDecoder().decode(Scalars.self, from: encoded) == value)
        var tooBig = encoded
        tooBig["u8"] = .integer(256)
        #expect {
            _ = try ObjectDecoder().decode(Scalars.self, from: tooBig)
        } throws: { error in
            (error as? DecodeError)?.path == "u8"
        }
        #expect(throws: EncodeError.self) {
            _ = try ObjectEncoder().encode(Scalars(u8: 0, u16: 0, u32: 0, u64: .max, u: 0, i8: 0, i16: 0, f: 0))
        }
    }

    @Test func replicaRequestsSumContainers() throws {
        let deployment = try Deployment(json: try YAMLCodec.decode(Self.deploymentYAML))
        #expect(deployment.replicaRequests["cpu"]?.canonical == "500m")
        #expect(deployment.replicaRequests["memory"]?.canonical == "256Mi")
    }

    @Test func wrongTypesGiveFieldPaths() throws {
        var source = try YAMLCodec.decode(Self.deploymentYAML)
        source.setValue("three", at: ["spec", "replicas"])
        #expect {
            _ = try Deployment(json: source)
        } throws: { error in
            (error as? DecodeError)?.path == "spec.replicas"
        }
        var badImage = try YAMLCodec.decode(Self.deploymentYAML)
        badImage.setValue(.array([["name": "server", "image": 7]]), at: ["spec", "template", "spec", "containers"])
        #expect {
            _ = try Deployment(json: badImage)
        } throws: { error in
            (error as? DecodeError)?.path == "spec.template.spec.containers[0].image"
        }
    }

    @Test func invalidQuantityIsADecodeErrorWithPath() throws {
        var source = try YAMLCodec.decode(Self.deploymentYAML)
        source.setValue(.array([["name": "server", "image": "x", "resources": ["requests": ["cpu": "lots"]]]]),
            at: ["spec", "template", "spec", "containers"])
        #expect {
            _ = try Deployment(json: source)
        } throws: { error in
            guard let error = error as? DecodeError else { return false }
            return error.path == "spec.template.spec.containers[0].resources.requests.cpu" && error.message.contains("lots")
        }
    }
}

@Suite struct YAMLCodecTests {
    @Test func multiDocumentStreamsSkipEmptyDocuments() throws {
        let docs = try YAMLCodec.decodeDocuments("---\na: 1\n---\n# only a comment\n---\nb: [x, y]\n")
        #expect(docs == [["a": 1], ["b": ["x", "y"]]])
    }

    @Test func scalarsResolveLikeKubernetes() throws {
        let value = try YAMLCodec.decode("i: 42\nf: 1.5\nb: true\nn: null\ns: '42'\nq: 500m\nt: 2024-01-01\nneg: -3\n")
        #expect(value == ["i": 42, "f": 1.5, "b": true, "n": .null, "s": "42", "q": "500m", "t": "2024-01-01", "neg": -3])
    }

    @Test func encodingQuotesStringsThatLookLikeOtherTypes() throws {
        let value: JSONValue = ["a": "true", "b": "1.5", "c": "", "d": "plain", "e": 3, "f": "null", "g": "multi\nline"]
        let text = YAMLCodec.encode(value)
        #expect(try YAMLCodec.decode(text) == value)
        #expect(text.contains("d: plain"))
    }

    @Test func malformedYAMLReportsAPosition() {
        #expect {
            _ = try YAMLCodec.decodeDocuments("a: [1, 2\nb: 3\n")
        } throws: { error in
            guard let error = error as? YAMLParseError else { return false }
            return error.line != nil
        }
    }

    @Test func mergeKeysExpand() throws {
        let value = try YAMLCodec.decode("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n")
        #expect(value["derived"] == ["x": 1, "y": 3])
    }
}
