import FlotillaAPI
import FlotillaStore
import Foundation
import Testing

@Suite struct CrashDurabilityTests {
    /// The helper binary sits beside the test bundle in the build products directory.
    static var writerURL: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("StoreCrashWriter")
    }

    @Test func everyAcknowledgedWriteSurvivesSIGKILL() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("store.sqlite").path
        try #require(FileManager.default.isExecutableFile(atPath: Self.writerURL.path), "build StoreCrashWriter first")

        let process = Process()
        process.executableURL = Self.writerURL
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()

        // Read acknowledgements until enough writes happened, then kill without warning mid-stream.
        var acknowledged = -1
        var buffer = Data()
        let reader = pipe.fileHandleForReading
        while acknowledged < 300 {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...newline)
                if line.hasPrefix("ack "), let n = Int(line.dropFirst(4)) { acknowledged = n }
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        // Lines that arrived after the last full read still count as acknowledged.
        let rest = reader.readDataToEndOfFile()
        buffer.append(rest)
        for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") where line.hasPrefix("ack ") {
            if let n = Int(line.dropFirst(4)) { acknowledged = max(acknowledged, n) }
        }
        try #require(acknowledged >= 300)

        let reopened = try ResourceStore.sqlite(path: path)
        let list = try await reopened.list(GroupResource(group: "", resource: "configmaps"), options: ListOptions())
        let names = Set(list.items.compactMap(\.name))
        let missing = (0...acknowledged).filter { !names.contains("cm-\($0)") }
        #expect(missing.isEmpty, "acknowledged writes lost: \(missing.prefix(10))")
        #expect(await reopened.currentRevision() >= Int64(acknowledged + 1))
        // The revision keeps counting from where it was.
        let next = try await reopened.create(GroupResource(group: "", resource: "configmaps"),
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "after-crash", "namespace": "default"]], options: .none)
        #expect(Int64(next.resourceVersion ?? "") ?? 0 > Int64(acknowledged))
    }

    @Test func reopeningKeepsObjectsRevisionsAndUIDs() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-reopen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("store.sqlite").path
        let created: JSONValue
        do {
            let store = try ResourceStore.sqlite(path: path)
            created = try await store.create(deployments, deployment("web"), options: .none)
            _ = try await store.create(configMaps, configMap("gone"), options: .none)
            _ = try await store.delete(configMaps, namespace: "default", name: "gone", options: .none)
        }
        let store = try ResourceStore.sqlite(path: path)
        #expect(try await store.get(deployments, namespace: "default", name: "web") == created)
        await #expect(throws: APIError.self) { _ = try await store.get(configMaps, namespace: "default", name: "gone") }
        #expect(await store.currentRevision() == 3)
    }
}
