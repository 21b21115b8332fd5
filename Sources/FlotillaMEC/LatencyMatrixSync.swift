import FlotillaAPI
import KubeClient
import Logging

/// Keeps the access network's zone → cluster round trips in the control plane as a `LatencyMatrix` (named after the
/// network's scenario, as `/flotilla/v1/latency-matrix` gives it), which the scheduler's latency filter and score and
/// DemandWeighted division read: without it an area's demand has no nearest cluster and replicas are spread evenly.
/// Fetched at start and every `interval`; written only when it changed (`createOrUpdate`). When the network does not
/// answer, the matrix last written stays and the next round tries again.
public struct LatencyMatrixSync: Sendable {
    let client: any ObjectClient
    let network: AccessNetworkClient
    let interval: Duration
    let logger: Logger

    public init(client: any ObjectClient, network: AccessNetworkClient, interval: Duration = .seconds(60),
                logger: Logger = Logger(label: "flotilla.mec")) {
        self.client = client
        self.network = network
        self.interval = interval
        self.logger = logger
    }

    public func run() async {
        var retry = Duration.seconds(1)
        while !Task.isCancelled {
            let synced = await sync()
            // Until the first sync succeeds, try again soon (the network may still be starting).
            try? await Task.sleep(for: synced ? interval : retry)
            retry = min(retry * 2, interval)
        }
    }

    /// One round; whether the matrix is in the control plane now.
    @discardableResult
    public func sync() async -> Bool {
        do {
            let matrix = try await network.document("/flotilla/v1/latency-matrix")
            guard matrix["kind"]?.stringValue == LatencyMatrix.descriptor.kind, matrix.name != nil else {
                logger.warning("the access network's latency matrix is not a LatencyMatrix")
                return false
            }
            try await client.createOrUpdate(LatencyMatrix.descriptor, matrix)
            return true
        } catch {
            logger.debug("cannot sync the access network's latency matrix", metadata: ["error": "\(error)"])
            return false
        }
    }
}
