import FlotillaAPI
import FlotillaTestSupport
import Foundation
import Testing

/// A CRD driven by stock kubectl, oldest and newest: kubectl finds the new kind through discovery (aggregated and
/// legacy), prints its printer columns, validates strictly, scales it and deletes it.
@Suite(.serialized) struct CustomResourceKubectlTests {
    static let manifests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("manifests/interpreter")

    @Test(arguments: ["1.27", "1.33"])
    func kubectlDrivesACustomKind(version: String) async throws {
        let server = try await RunningServer.start()
        do {
            let kubectl = try Kubectl(version: version, server: server)
            let crd = try await kubectl.run(["apply", "-f", Self.manifests.appendingPathComponent("gameserverset-crd.yaml").path])
            #expect(crd.status == 0, "\(crd.combined)")
            // (kubectl 1.33's typed create sends protobuf, which Flotilla does not speak: apply sends JSON.)
            #expect(try await kubectl.run(["apply", "-f", "-"], stdin: "apiVersion: v1\nkind: Namespace\nmetadata: {name: games}\n").status == 0)
            let object = try await kubectl.run(["apply", "-f", Self.manifests.appendingPathComponent("gameserverset.yaml").path])
            #expect(object.status == 0, "\(object.combined)")

            let table = try await kubectl.run(["get", "gss", "-n", "games", "-o", "wide"])
            let header = table.stdout.split(separator: "\n").first.map { $0.split(separator: " ").map(String.init) } ?? []
            #expect(header == ["NAME", "DESIRED", "READY", "PLAYERS", "PER-SERVER", "AGE"], "\(table.combined)")
            #expect(try await kubectl.run(["get", "games", "-n", "games", "-o", "name"]).stdout
                .contains("gameserverset.games.flotilla.io/arena"), "the CRD's category")

            let invalid = """
                apiVersion: games.flotilla.io/v1alpha1
                kind: GameServerSet
                metadata: {name: broken, namespace: games}
                spec: {replicas: 2, playersPerServer: 999, template: {}, surprise: true}
                """
            let strict = try await kubectl.run(["apply", "-f", "-"], stdin: invalid)
            #expect(strict.status != 0 && strict.stderr.contains("unknown field \"spec.surprise\""), "\(strict.combined)")
            let checked = try await kubectl.run(["apply", "--validate=false", "-f", "-"], stdin: invalid)
            #expect(checked.status != 0 && checked.stderr.contains("spec.playersPerServer"), "\(checked.combined)")

            #expect(try await kubectl.run(["scale", "gameserverset", "arena", "-n", "games", "--replicas=9"]).status == 0)
            #expect(try await kubectl.run(["get", "gss", "arena", "-n", "games", "-o", "jsonpath={.spec.replicas}"]).stdout == "9")
            let established = try await kubectl.run(["wait", "--for=condition=Established", "crd/gameserversets.games.flotilla.io", "--timeout=10s"])
            #expect(established.status == 0, "\(established.combined)")

            #expect(try await kubectl.run(["delete", "crd", "gameserversets.games.flotilla.io"]).status == 0)
            let gone = try await kubectl.run(["get", "gss", "-n", "games"])
            #expect(gone.status != 0, "\(gone.combined)")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// `flotilla validate` checks objects of a custom kind against a CRD among the same files, offline.
    @Test func validateKnowsTheKindsOfTheCRDsBesideIt() async throws {
        let crd = Self.manifests.appendingPathComponent("gameserverset-crd.yaml").path
        let valid = try await ProcessRunner.run(ServeLifecycleTests.flotilla,
            ["validate", "-f", crd, "-f", Self.manifests.appendingPathComponent("gameserverset.yaml").path])
        #expect(valid.status == 0 && valid.stdout.contains("GameServerSet/arena"), "\(valid.combined)")
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("gss-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: broken) }
        try "apiVersion: games.flotilla.io/v1alpha1\nkind: GameServerSet\nmetadata: {name: b, namespace: games}\nspec: {playersPerServer: 0}\n"
            .write(to: broken, atomically: true, encoding: .utf8)
        let invalid = try await ProcessRunner.run(ServeLifecycleTests.flotilla, ["validate", "-f", crd, "-f", broken.path])
        #expect(invalid.status == 1 && invalid.stdout.contains("spec.playersPerServer") && invalid.stdout.contains("spec.template"), "\(invalid.combined)")
    }
}
