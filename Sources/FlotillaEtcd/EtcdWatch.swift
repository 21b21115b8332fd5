import EtcdAPI
import FlotillaAPI
import FlotillaStore
import Foundation
import GRPCCore
import Logging

/// One etcd watch over a key range from a revision, turned into `BackendEvent` batches (one batch per etcd response:
/// the changes of one commit arrive together). Shared by the watch cache and by watches older than the cache.
struct EtcdWatch {
    let connection: EtcdConnection
    let keys: EtcdKeys
    let logger: Logger

    /// What the watch reported before it ended.
    enum Signal: Sendable {
        /// etcd accepted the watch: events from the start revision follow.
        case created
        case events([BackendEvent])
    }

    /// Runs until cancelled or until etcd ends the watch. Throws `compacted` when the start revision (or a later
    /// one, after a reconnect) has been compacted away, `unavailable` when the member went away.
    func run(start: [UInt8], end: [UInt8], from revision: Int64, _ signal: @escaping @Sendable (Signal) -> Void) async throws(BackendError) {
        var create = Etcdserverpb_WatchCreateRequest()
        create.key = Data(start)
        create.rangeEnd = Data(end)
        create.startRevision = revision
        create.prevKv = true
        var request = Etcdserverpb_WatchRequest()
        request.requestUnion = .createRequest(create)
        do {
            try await connection.watchService.watch(requestProducer: { [request] writer in
                try await writer.write(request)
                // Closing the request stream would end the watch: hold it open until the call is cancelled.
                while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
            }, onResponse: { [keys, logger] response in
                for try await message in response.messages {
                    if message.canceled {
                        if message.compactRevision > 0 { throw BackendError.compacted(oldestAvailable: message.compactRevision) }
                        throw BackendError.unavailable("etcd ended the watch: \(message.cancelReason)")
                    }
                    if message.created { signal(.created) }
                    let events = message.events.compactMap { Self.decode($0, keys: keys, logger: logger) }
                    if !events.isEmpty { signal(.events(events)) }
                }
                throw BackendError.unavailable("etcd closed the watch stream")
            })
        } catch {
            throw EtcdConnection.translate(error)
        }
    }

    /// An etcd event as the store's watchers see it; nil for keys that are not objects or values that are not JSON.
    static func decode(_ event: Mvccpb_Event, keys: EtcdKeys, logger: Logger) -> BackendEvent? {
        guard let key = keys.storageKey(Array(event.kv.key)) else { return nil }
        let previous = event.hasPrevKv ? keyValue(event.prevKv, key: key, logger: logger) : nil
        switch event.type {
        case .delete:
            // etcd's delete carries the key and the deletion's revision; the last value comes from prev_kv.
            let current = KeyValue(key: key, value: previous?.value ?? .object([:]), createRevision: previous?.createRevision ?? 0,
                                   modRevision: event.kv.modRevision)
            return BackendEvent(kind: .delete, current: current, previous: previous)
        default:
            guard let current = keyValue(event.kv, key: key, logger: logger) else { return nil }
            return BackendEvent(kind: .put, current: current, previous: previous)
        }
    }

    static func keyValue(_ kv: Mvccpb_KeyValue, key: StorageKey, logger: Logger) -> KeyValue? {
        do {
            return KeyValue(key: key, value: try JSONValue.parse(kv.value), createRevision: kv.createRevision, modRevision: kv.modRevision)
        } catch {
            logger.warning("skipping a value that is not JSON", metadata: ["key": "\(key)", "error": "\(error)"])
            return nil
        }
    }
}
