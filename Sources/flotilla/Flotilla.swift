import ArgumentParser
import FlotillaServer

@main
struct Flotilla: AsyncParsableCommand {
    static let version = FlotillaVersion.current

    static let configuration = CommandConfiguration(
        commandName: "flotilla",
        abstract: "Flotilla: a federated multi-access edge cloud control plane.",
        discussion: """
            Flotilla places workloads on many small edge Kubernetes clusters with Karmada's policies, \
            plus latency- and demand-aware placement for mobile users.
            """,
        version: version,
        subcommands: [ServeCommand.self, MemberCommand.self, GatewayCommand.self, AgentCommand.self, SimCommand.self, JoinCommand.self, UnjoinCommand.self, CordonCommand.self, UncordonCommand.self, TaintCommand.self, DemoCommand.self, ScheduleCommand.self, ValidateCommand.self, InterpretCommand.self, BenchCommand.self]
    )

    /// Argument parser's own entry, after tuning the allocator (before any thread starts).
    static func main() async {
        AllocatorTuning.apply()
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
