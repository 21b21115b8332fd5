import ArgumentParser
import FlotillaAPI
import FlotillaControllers
import Foundation
import KubeClient

/// Where the control plane is, for commands that talk to it.
struct ControlPlaneOptions: ParsableArguments {
    @Option(name: .customLong("control-plane-kubeconfig"), help: "Kubeconfig of the Flotilla control plane.")
    var controlPlaneKubeconfig: String = "flotilla-data/admin.kubeconfig"

    func client() throws -> KubeClient {
        do {
            return try KubeClient(kubeconfig: controlPlaneKubeconfig)
        } catch {
            throw ValidationError("cannot use the control plane's kubeconfig \(controlPlaneKubeconfig): \(error)")
        }
    }
}

/// A member cluster as `join` and `agent` take it: its kubeconfig, and where the Cluster says it is.
struct MemberClusterOptions: ParsableArguments {
    @Option(help: "Kubeconfig of the member cluster.")
    var kubeconfig: String

    @Option(help: "Context in the member's kubeconfig (default: its current context).")
    var context: String?

    @Option(help: "Region of the member (spec.region).")
    var region: String?

    @Option(help: "Zone of the member (spec.zone).")
    var zone: String?

    @Option(help: "Provider of the member (spec.provider).")
    var provider: String?

    @Option(name: .customLong("label"), help: "A label for the Cluster, key=value (repeatable).")
    var labels: [String] = []

    func labelMap() throws -> [String: String] {
        var result: [String: String] = [:]
        for label in labels {
            let parts = label.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--label wants key=value, not \(label)") }
            result[parts[0]] = parts[1]
        }
        return result
    }

    func credentials() throws -> ClusterCredentials {
        do {
            return try KubeconfigFile.load(path: kubeconfig, context: context)
        } catch {
            throw ValidationError("cannot use the member's kubeconfig \(kubeconfig): \(error)")
        }
    }
}

/// `flotilla join`: registers a member cluster (push mode) as Karmada's `karmadactl join` does.
struct JoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Register a member cluster with the control plane.",
        discussion: """
            Contacts the member with its kubeconfig (token or client certificate), then creates the Cluster and a \
            Secret with its credentials in the karmada-cluster namespace (viewers cannot read Secrets).
              flotilla join edge-1 --kubeconfig sites/edge-1.kubeconfig --region eu --zone eu-a --provider operator-a
            """
    )

    @Argument(help: "Name of the cluster in the control plane.")
    var name: String

    @OptionGroup var cluster: MemberClusterOptions
    @OptionGroup var controlPlane: ControlPlaneOptions

    func validate() throws { _ = try cluster.labelMap() }

    func run() async throws {
        let member = try cluster.credentials()
        let labelMap = try cluster.labelMap()
        let client = try controlPlane.client()
        defer { Task { await client.shutdown() } }
        do {
            let version = try await ClusterJoin.join(name: name, member: member,
                options: ClusterJoin.Options(region: cluster.region, zone: cluster.zone, provider: cluster.provider, labels: labelMap), controlPlane: client)
            print("cluster/\(name) joined (\(member.server), Kubernetes \(version))")
        } catch {
            FileHandle.standardError.write(Data("error: cannot join \(name): \(error.message)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `flotilla unjoin`: removes a member cluster and its credentials.
struct UnjoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unjoin", abstract: "Remove a member cluster from the control plane.")

    @Argument(help: "Name of the cluster.")
    var name: String

    @OptionGroup var controlPlane: ControlPlaneOptions

    func run() async throws {
        let client = try controlPlane.client()
        defer { Task { await client.shutdown() } }
        do {
            try await ClusterJoin.unjoin(name: name, controlPlane: client)
            print("cluster/\(name) unjoined")
        } catch {
            FileHandle.standardError.write(Data("error: cannot unjoin \(name): \(error.message)\n".utf8))
            throw ExitCode.failure
        }
    }
}
