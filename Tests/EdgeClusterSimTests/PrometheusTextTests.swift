@testable import EdgeClusterSim
import Testing

/// The scrape parser the site's custom-metrics adapter reads pods' `/metrics` with.
struct PrometheusTextTests {
    @Test func samplesWithAndWithoutLabels() {
        let text = """
            # HELP flotilla_game_players players
            # TYPE flotilla_game_players gauge
            flotilla_game_players 3
            requests_total{code="200",path="/a b"} 12 1700000000000

            requests_total{code="500", path="x\\"y"} 1.5e1
            broken{code="200" 4
            no_value
            """
        let samples = PrometheusText.samples(text)
        #expect(samples == [
            PrometheusSample(name: "flotilla_game_players", labels: [:], value: 3),
            PrometheusSample(name: "requests_total", labels: ["code": "200", "path": "/a b"], value: 12),
            PrometheusSample(name: "requests_total", labels: ["code": "500", "path": "x\"y"], value: 15),
        ])
    }
}
