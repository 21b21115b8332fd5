import FlotillaAPI
import Logging

/// What an informer tells its handler.
public enum InformerEvent: Sendable {
    /// A full (re)list: the complete current set. Anything the handler knew that is not in it is gone.
    case synced([JSONValue])
    case added(JSONValue)
    case modified(JSONValue)
    case deleted(JSONValue)
}

/// List, then watch from the list's resourceVersion; resume from the last seen version when a watch ends, relist
/// when the server says the version is too old (410 Expired), and back off with jitter on errors. The loop runs
/// until its task is cancelled. Works over any `ObjectClient`.
public struct Informer: Sendable {
    public let client: any ObjectClient
    public let resource: ResourceDescriptor
    public let namespace: String?
    public let options: ListQuery
    public let logger: Logger
    /// The longest wait between attempts after errors.
    public var maxBackoff: Duration = .seconds(30)

    public init(client: any ObjectClient, resource: ResourceDescriptor, namespace: String? = nil, options: ListQuery = .everything,
                logger: Logger = Logger(label: "flotilla.informer")) {
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.options = options
        self.logger = logger
    }

    public func run(_ handler: @escaping @Sendable (InformerEvent) async -> Void) async {
        var version: String?
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                if version == nil {
                    let list = try await client.list(resource, namespace: namespace, options: options)
                    await handler(.synced(list.items))
                    version = list.resourceVersion
                }
                let stream = try await client.watch(resource, namespace: namespace, options: options, resourceVersion: version ?? "0")
                for try await event in stream {
                    if let revision = event.object.resourceVersion { version = revision }
                    switch event.kind {
                    case .added: await handler(.added(event.object))
                    case .modified: await handler(.modified(event.object))
                    case .deleted: await handler(.deleted(event.object))
                    case .bookmark: break
                    }
                    backoff = .milliseconds(100)
                }
                continue
            } catch let error as APIError where error.reason == .expired || error.reason == .gone {
                version = nil
                continue
            } catch {
                if Task.isCancelled { return }
                logger.debug("informer retrying", metadata: ["resource": "\(resource.plural)", "error": "\(error)"])
            }
            let jittered = Duration.nanoseconds(Int64.random(in: backoff.nanoseconds / 2...max(backoff.nanoseconds, 1)))
            try? await Task.sleep(for: jittered)
            backoff = min(backoff * 2, maxBackoff)
        }
    }
}
