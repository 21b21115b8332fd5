import FlotillaAPI
import FlotillaStore
import Hummingbird
import NIOCore

/// Watch streams: chunked JSON, one event per line, flushed per event; optional bookmarks; `timeoutSeconds`;
/// an expired revision becomes an ERROR event with a 410 Status (the HTTP status stays 200, as in Kubernetes).
extension ResourceHandler {
    enum WatchItem: Sendable {
        case event(WatchEvent)
        case tick
    }

    func watch(query: RequestOptions, shape: ResponseShape) async throws -> Response {
        var filter = try query.filter(namespace: path.namespace, descriptor: descriptor)
        if let name = path.name {
            filter.fieldSelector.requirements.append(.init(field: "metadata.name", negated: false, value: name))
        }
        let revision = try query.watchRevision()
        let bookmarks = query.bool("allowWatchBookmarks")
        let timeout = query.timeoutSeconds()
        let stream: WatchStream
        do {
            stream = try await store.watch(resource, options: WatchOptions(filter: filter, resourceVersion: revision))
        } catch {
            guard error.reason == .expired else { throw error }
            let line = Self.line(type: "ERROR", object: (try? ObjectEncoder().encode(error.status)) ?? .object([:]))
            return Response(status: .ok, headers: [.contentType: MediaTypes.json], body: .init(byteBuffer: ByteBuffer(bytes: line)))
        }
        let current = await store.currentRevision()
        let startRevision = revision ?? current
        let converter = TableConverter(descriptor: descriptor)
        let interval = bookmarkInterval
        let clock = self.clock
        let metrics = self.metrics
        let descriptor = self.descriptor
        let channel = self.channel
        let registry = self.watches
        let body = ResponseBody { writer in
            metrics.watches.increment()
            defer { metrics.watches.decrement() }
            let (items, continuation) = AsyncStream<WatchItem>.makeStream()
            let registration = registry.register { continuation.finish() }
            defer { registry.unregister(registration) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in stream { continuation.yield(.event(event)) }
                    continuation.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: interval)
                        continuation.yield(.tick)
                    }
                }
                if let timeout {
                    group.addTask {
                        try await Task.sleep(for: .seconds(max(timeout, 0)))
                        continuation.finish()
                    }
                }
                // A client that goes away ends its watch now, not at the next event. (A callback, not an awaited
                // future: `EventLoopFuture.get()` ignores cancellation and would hold the group open.)
                channel?.closeFuture.whenComplete { _ in continuation.finish() }
                var lastRevision = startRevision
                for await item in items {
                    switch item {
                    case .event(let event):
                        lastRevision = event.revision
                        let object: JSONValue
                        let presented = descriptor.presented(event.object)
                        switch shape {
                        case .object: object = presented
                        case .table(let include):
                            object = converter.table([presented], now: Timestamp(clock.now()), includeObject: include,
                                resourceVersion: event.object.resourceVersion, continueToken: nil)
                        }
                        try await writer.write(ByteBuffer(bytes: Self.line(type: event.type.rawValue, object: object)))
                    case .tick:
                        guard bookmarks else { continue }
                        let bookmark: JSONValue = ["kind": .string(descriptor.kind), "apiVersion": .string(descriptor.apiVersion),
                                                   "metadata": ["resourceVersion": .string(String(lastRevision))]]
                        try await writer.write(ByteBuffer(bytes: Self.line(type: "BOOKMARK", object: bookmark)))
                    }
                }
                group.cancelAll()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: MediaTypes.json], body: body)
    }

    static func line(type: String, object: JSONValue) -> [UInt8] {
        var bytes = JSONValue.object(["type": .string(type), "object": object]).serialized()
        bytes.append(0x0A)
        return bytes
    }
}
