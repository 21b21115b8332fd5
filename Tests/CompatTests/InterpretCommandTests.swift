import FlotillaAPI
import Foundation
import Testing

/// `flotilla interpret` as a user runs it, shaped like `karmadactl interpret`.
@Suite struct InterpretCommandTests {
    static let manifests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("manifests/interpreter").path

    func interpret(_ arguments: [String]) async throws -> CommandResult {
        try await ProcessRunner.run(ServeLifecycleTests.flotilla, ["interpret", "-f", "\(Self.manifests)/gameserverset-customization.yaml"] + arguments)
    }

    @Test func aggregateStatusPrintsOneJSONObject() async throws {
        let result = try await interpret(["--operation", "aggregatestatus", "--desired-file", "\(Self.manifests)/gameserverset.yaml",
                                          "--status-file", "\(Self.manifests)/gameserverset-statuses.yaml", "-o", "json"])
        #expect(result.status == 0, "\(result.combined)")
        let output = try JSONValue.parse(result.stdout)
        #expect(output["aggregatedStatus"]?["status"]?["readyServers"] == 3)
    }

    @Test func interpretReplicaPrintsYAMLByDefault() async throws {
        let result = try await interpret(["--operation", "InterpretReplica", "--desired-file", "\(Self.manifests)/gameserverset.yaml"])
        #expect(result.status == 0, "\(result.combined)")
        #expect(try YAMLCodec.decode(result.stdout)["replica"] == 4)
    }

    @Test func aScriptErrorExitsOneWithTheMessage() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("interpret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let object = dir.appendingPathComponent("object.yaml")
        try "apiVersion: games.flotilla.io/v1alpha1\nkind: GameServerSet\nmetadata: {name: a}\n".write(to: object, atomically: true, encoding: .utf8)
        let result = try await interpret(["--operation", "InterpretReplica", "--desired-file", object.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: gameserverset.replicaResource"), "\(result.stderr)")
        #expect(result.stderr.contains("attempt to index"), "\(result.stderr)")
    }
}
