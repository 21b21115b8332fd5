import EtcdAPI
import Foundation
import Logging
import ServiceLifecycle

/// Compacts etcd's history every `interval`, as kube-apiserver does, so that it does not grow without bound. Every
/// replica runs one; they take turns through a transaction on `<prefix>/compact_rev_key` (its version counts the
/// compactions), so each interval one replica compacts, at the revision seen one interval earlier: a watcher is
/// always given at least `interval` of history to catch up. A watch or continue token older than that gets 410.
public struct EtcdCompactor: ServiceLifecycle.Service {
    let backend: EtcdBackend
    let interval: Duration
    let logger: Logger

    public init(backend: EtcdBackend, interval: Duration, logger: Logger = Logger(label: "flotilla.etcd")) {
        self.backend = backend
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var state = (version: Int64(0), revision: Int64(0))
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                if let next = await compact(after: state) { state = next }
            }
        }
    }

    /// One round: claims the round by bumping the key's version from the one last seen; if another replica claimed
    /// it, adopts its version. The claimer compacts at the revision the previous round saw.
    func compact(after last: (version: Int64, revision: Int64)) async -> (version: Int64, revision: Int64)? {
        let key = backend.keys.compaction
        var txn = Etcdserverpb_TxnRequest()
        var compare = Etcdserverpb_Compare()
        compare.key = Data(key)
        compare.target = .version
        compare.result = .equal
        compare.targetUnion = .version(last.version)
        txn.compare = [compare]
        var put = Etcdserverpb_PutRequest()
        put.key = Data(key)
        var op = Etcdserverpb_RequestOp()
        op.request = .requestPut(put)
        txn.success = [op]
        txn.failure = [.get(key)]
        do {
            let response = try await backend.connection.txn(txn)
            let revision = response.header.revision
            guard response.succeeded else {
                return (response.responses.first?.responseRange.kvs.first?.version ?? 0, revision)
            }
            if last.revision > 0 {
                await backend.compact(through: last.revision)
                logger.info("compacted etcd", metadata: ["revision": "\(last.revision)"])
            }
            return (last.version + 1, revision)
        } catch {
            logger.warning("etcd compaction round failed", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
