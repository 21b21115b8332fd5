import FlotillaTestSupport
import Foundation
import Testing

/// The live dashboard of a running `flotilla demo --keep-running`, as a browser shows it: headless Chromium (which
/// scripts/test installs) renders /dashboard, the test reads the rendered DOM and keeps a screenshot. Part of the
/// demo's suite, whose demos run one at a time (each takes the machine's cores for its players).
extension ProcessHeavyEndToEndTests.DemoEndToEndTests {
    static var chromium: String? {
        ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap { ProcessRunner.which($0) }.first
    }

    /// Chromium's headless flags for a page served with the control plane's own CA, in a container without a sandbox.
    static func headless(_ extra: [String]) -> [String] {
        ["--headless", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors", "--window-size=1400,900", "--timeout=5000"] + extra
    }

    @Test func theDashboardOfARunningDemoShowsItsSitesAndPlayers() async throws {
        let chromium = try #require(Self.chromium, "chromium is missing; scripts/test installs it")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let demo = try BackgroundCommand(ServeLifecycleTests.flotilla, [
            "demo", "--players", "6", "--duration", "4", "--speed", "10", "--keep-running",
            "--scenario", Self.root.appendingPathComponent("simulator/scenarios/demo-city.yaml").path,
            "--manifests", Self.root.appendingPathComponent("manifests/mobile-game").path,
        ])
        try await withCleanup({
            #expect(await demo.waitFor("Still running", timeout: .seconds(180)), "\(demo.text)")
            let url = try #require(demo.text.range(of: #"Dashboard: (https://\S+)"#, options: .regularExpression)
                .map { String(demo.text[$0].dropFirst("Dashboard: ".count)) }, "\(demo.text)")

            // The page shows what the control plane could gather when it was served; on a busy machine the access
            // network may not have answered in time (the page then says so), so load it again as a user would.
            var page = ""
            for _ in 0..<6 {
                let dom = try await ProcessRunner.run(chromium, Self.headless(["--dump-dom", url]), timeout: .seconds(60))
                #expect(dom.status == 0, "\(dom.stderr.suffix(2000))")
                page = dom.stdout
                if Self.count(#"<g class="site""#, in: page) > 0, Self.count(#"<circle class="player""#, in: page) > 0 { break }
                try await Task.sleep(for: .seconds(3))
            }
            // Seven sites on the map and in the table, all Ready; the six Flotilla players on the map with an RTT.
            #expect(Self.count(#"<g class="site""#, in: page) == 7, "\(page.prefix(3000))")
            #expect(Self.count(#"<tr class="cluster" data-name="[^"]+" data-ready="true""#, in: page) == 7)
            #expect(Self.count(#"<circle class="player""#, in: page) == 6, "\(page.prefix(3000))")
            #expect(Self.count(#"<circle class="player"[^>]*data-rtt="[0-9.]+""#, in: page) >= 1, "players coloured by their RTT")
            #expect(Self.count(#"<circle class="cell""#, in: page) > 10)
            #expect(page.contains(#"<span id="scenario" class="muted">demo-city</span>"#))
            // Nothing loaded from elsewhere: the page is self-contained.
            #expect(!page.contains("src=\"http") && !page.contains("href=\"http"))

            let screenshot = directory.appendingPathComponent("dashboard.png")
            let shot = try await ProcessRunner.run(chromium, Self.headless(["--screenshot=\(screenshot.path)", url]), timeout: .seconds(60))
            #expect(shot.status == 0, "\(shot.stderr.suffix(2000))")
            let png = try Data(contentsOf: screenshot)
            #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG of \(png.count) bytes")
        }, cleanup: {
            kill(demo.process.processIdentifier, SIGINT)
            let deadline = ContinuousClock.now + .seconds(20)
            while demo.process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            #expect(!demo.process.isRunning, "the demo did not stop on SIGINT")
            demo.stop()
        })
        #expect(demo.process.terminationStatus == 0, "\(demo.text.suffix(2000))")
        // The screenshot stays in the test's temporary directory for whoever wants to look.
    }

    static func count(_ pattern: String, in text: String) -> Int {
        (try? NSRegularExpression(pattern: pattern)).map { $0.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text)) } ?? 0
    }
}
