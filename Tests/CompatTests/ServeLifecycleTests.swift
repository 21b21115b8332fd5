import FlotillaAPI
import Foundation
import Testing

/// `flotilla serve` as a user runs it: one command, stopped by SIGTERM or SIGINT even with a watch open.
@Suite struct ServeLifecycleTests {
    static var flotilla: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flotilla").path
    }

    func startServer(dataDir: String) async throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.flotilla)
        process.arguments = ["serve", "--data-dir", dataDir, "--port", "0", "--log-level", "warning"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = OutputBuffer()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { text.append(String(decoding: data, as: UTF8.self)) }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let range = text.text.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                let port = Int(text.text[range].split(separator: ":").last ?? "") {
                return (process, port)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw ServeDidNotStart(output: text.text)
    }

    struct ServeDidNotStart: Error { var output: String }

    @Test(arguments: [SIGTERM, SIGINT])
    func stopsCleanlyWithAWatchOpen(signal: Int32) async throws {
        let kubectl = try #require(KubectlBinaries.binary(for: "1.33"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-serve-\(UUID().uuidString)").path
        let (server, _) = try await startServer(dataDir: dir)
        let watcher = try BackgroundCommand(kubectl, ["--kubeconfig", "\(dir)/admin.kubeconfig", "--cache-dir", "\(dir)/cache",
                                                      "get", "namespaces", "-w"])
        #expect(await watcher.waitFor("kube-system"), "\(watcher.text)")
        kill(server.processIdentifier, signal)
        let deadline = ContinuousClock.now + .seconds(15)
        while server.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!server.isRunning, "flotilla serve did not stop on signal \(signal)")
        if server.isRunning { server.terminate() }
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        watcher.stop()
    }
}
