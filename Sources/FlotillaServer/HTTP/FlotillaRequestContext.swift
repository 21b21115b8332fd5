import Hummingbird
import Logging
import NIOCore

/// Hummingbird request context that keeps the connection's channel, so authentication can read the TLS peer's
/// client certificate.
public struct FlotillaRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: (any Channel)?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// Request bodies larger than this get 413 (the Kubernetes API server's limit is 3 MiB).
    public var maxUploadSize: Int { APIHandler.maxBodyBytes }
}
