import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Flotilla's components (build with -c release for meaningful figures).",
        subcommands: [StoreBench.self, CodecBench.self, APIServerBench.self, MemberBench.self, FederationBench.self, SimBench.self, SchedulerBench.self, MECBench.self, GatewayBench.self, FailoverBench.self, MeshBench.self, CatalogBench.self, InterpretBench.self, AutoscaleBench.self, FleetBench.self]
    )
}
