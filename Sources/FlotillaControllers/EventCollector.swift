import FlotillaAPI
import Foundation
import KubeClient
import Logging

/// Deletes core/v1 Events once they are `ttl` old, as kube-apiserver's `--event-ttl` does (one hour by default there
/// too). Events are written for every scheduling decision, rollout and probe failure; without an expiry they would
/// fill the store, and with it the in-memory index, for as long as the server runs.
public struct EventCollector: Sendable {
    let client: any ObjectClient
    let ttl: Duration
    let interval: Duration
    let clock: any TimeSource
    let logger: Logger

    public init(client: any ObjectClient, ttl: Duration = .seconds(3600), interval: Duration = .seconds(60),
                clock: any TimeSource = SystemTimeSource(), logger: Logger = Logger(label: "flotilla.event-ttl")) {
        self.client = client
        self.ttl = ttl
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Sweeps every `interval` until cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                let deleted = try await collect()
                if deleted > 0 { logger.debug("expired events deleted", metadata: ["count": "\(deleted)"]) }
            } catch {
                logger.warning("cannot expire events", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// One sweep: deletes the events last seen more than `ttl` ago and returns how many. An event deleted meanwhile by
    /// someone else is not an error.
    @discardableResult
    public func collect() async throws(APIError) -> Int {
        let cutoff = Timestamp(clock.now()).seconds - Int64(ttl.components.seconds)
        var deleted = 0
        for event in try await client.list(Event.descriptor, namespace: nil, options: .everything).items {
            guard let seen = Self.lastSeen(event), seen.seconds < cutoff, let name = event.name else { continue }
            do {
                try await client.delete(Event.descriptor, namespace: event.namespace, name: name)
                deleted += 1
            } catch where error.reason == .notFound {
                continue
            }
        }
        return deleted
    }

    /// When the event last happened: `lastTimestamp`, else `eventTime` (events.k8s.io's microsecond time, seconds
    /// kept), else when it was stored.
    static func lastSeen(_ event: JSONValue) -> Timestamp? {
        if let last = event["lastTimestamp"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) { return last }
        if let micro = event["eventTime"]?.stringValue, micro.count > 20, micro.utf8.dropFirst(19).first == UInt8(ascii: ".") {
            if let time = Timestamp(rfc3339: String(micro.prefix(19)) + "Z") { return time }
        }
        return event["metadata"]?["creationTimestamp"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
    }
}
