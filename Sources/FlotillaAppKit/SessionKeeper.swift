import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// Keeps an instance's sessions safe while nobody is looking. It wakes when something is due (`SessionTable.nextWake`:
/// the end of a checkpoint interval or of a lease), or when the table's schedule changes (a standby assigned, a
/// freeze with a lease), and sleeps otherwise:
///
/// - **Freeze leases.** A session frozen for a move whose lease ended (the mobility service died mid-migration, or
///   its resume reply was lost) decides for itself: it asks its successor to release its copy unless that copy
///   serves (`DELETE …/{id}?unlessActive=true`). 204, or no successor, or a refused connection: the session resumes
///   here; 409 (the successor serves it): it is released here; no answer: it asks again (`LeaseSettlement`). The
///   successor's answer is atomic, so the two never both serve: a resume that reaches the successor after it
///   released its copy fails.
/// - **Checkpoints.** It sends the checkpoints of an instance's protected sessions to their standby copies: each active
///   session with a standby whose state changed goes out at most one interval after its last one, batched per standby
///   instance (`POST /mec/state/v1/checkpoints`). The sessions of an instance fall into step, so a round carries all
///   of a standby instance's sessions in one request (`SessionTable.dueCheckpoints`). A session the standby answers
///   `fenced` for was promoted elsewhere: this instance stops serving it (`SessionTable.fence`), so an old primary
///   that comes back never serves beside the new one. A standby that does not answer is tried again one interval
///   later with the newest state.
public final class SessionKeeper<State: TransferableState>: Sendable {
    public struct Counters: Sendable {
        public var batches = 0
        public var checkpoints = 0
        public var bytes = 0
        public var failures = 0
        public var fenced = 0
        /// Frozen sessions whose lease ended and that were resumed or released here.
        public var leasesSettled = 0

        public init() {}
    }

    let table: SessionTable<State>
    let http: HTTPClient
    let counters = Mutex(Counters())
    let task = Mutex<Task<Void, Never>?>(nil)
    let alarm = Alarm()
    /// The keeper looks at least this often even with nothing scheduled, and at most once per `minimumGap`.
    static var idle: Duration { .seconds(1) }
    static var minimumGap: Duration { .milliseconds(2) }

    public init(table: SessionTable<State>, http: HTTPClient = .shared) {
        self.table = table
        self.http = http
        table.onScheduleChange { [alarm] in alarm.ring() }
    }

    public var sent: Counters { counters.withLock { $0 } }

    /// Starts the loop (idempotent).
    public func start() {
        task.withLock { task in
            guard task == nil else { return }
            task = Task { [self] in
                while !Task.isCancelled {
                    await pushDue()
                    let now = ContinuousClock.now
                    let wake = min(table.nextWake(after: now) ?? now + Self.idle, now + Self.idle)
                    await alarm.sleep(until: max(wake, now + Self.minimumGap))
                }
            }
        }
    }

    public func stop() async {
        let running = task.withLock { task in defer { task = nil }; return task }
        running?.cancel()
        await running?.value
    }

    /// Frozen sessions whose lease ended: resumed here, released when the successor serves them, or asked about
    /// again when the successor's answer did not come (`LeaseSettlement`). Concurrently, so one slow successor does
    /// not hold the others or the checkpoints back for more than one ask.
    func settleLeases() async {
        let expired = table.expiredLeases(now: .now)
        guard !expired.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            for (id, successor, unanswered) in expired {
                group.addTask { await self.settle(id, successor: successor, asks: unanswered + 1) }
            }
        }
    }

    /// `asks`: how many asks this one makes.
    func settle(_ id: String, successor: String?, asks: Int) async {
        let answer = await ask(successor, toRelease: id)
        switch LeaseSettlement.decide(answer, asks: asks) {
        case .release:
            table.release(id)
        case .resume:
            try? table.resume(id)
        case .askAgain(let after):
            table.renewLease(id, until: .now + after)
            return
        }
        counters.withLock { $0.leasesSettled += 1 }
    }

    /// `DELETE …/{id}?unlessActive=true` at the successor.
    func ask(_ successor: String?, toRelease id: String) async -> LeaseSettlement.Answer {
        guard let successor else { return .noSuccessor }
        var request = HTTPClientRequest(url: "http://\(successor)\(StateTransferProtocol.sessionPath(id))?unlessActive=true")
        request.method = .DELETE
        do {
            let response = try await http.execute(request, timeout: .seconds(2))
            return .status(Int(response.status.code))
        } catch {
            return HTTPDelivery.neverConnected(error) ? .neverConnected : .noAnswer
        }
    }

    /// One round: every due checkpoint, one batch per standby instance, the batches concurrently.
    func pushDue() async {
        await settleLeases()
        let now = ContinuousClock.now
        let due = table.dueCheckpoints(now: now)
        guard !due.isEmpty else { return }
        let byStandby = Dictionary(grouping: due, by: \.standby.endpoint)
        await withTaskGroup(of: Void.self) { group in
            for (endpoint, items) in byStandby {
                group.addTask { await self.send(items, to: endpoint, at: now) }
            }
        }
    }

    func send(_ items: [(id: String, standby: StandbyAssignment, version: Int, data: Data)], to endpoint: String, at now: ContinuousClock.Instant) async {
        let batch = CheckpointBatch(checkpoints: items.map { .init(session: $0.id, epoch: $0.standby.epoch, version: $0.version, state: $0.data) })
        let body = batch.binary()
        var request = HTTPClientRequest(url: "http://\(endpoint)\(StateTransferProtocol.checkpointsPath)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: CheckpointBatch.binaryContentType)
        request.body = .bytes(body)
        do {
            let response = try await http.execute(request, timeout: .seconds(2))
            let data = try await response.body.collect(upTo: 4 * 1024 * 1024)
            guard response.status == .ok, let results = CheckpointBatch.Result.results(binary: data) else {
                counters.withLock { $0.failures += 1 }
                return
            }
            let versions = Dictionary(items.map { ($0.id, $0.version) }, uniquingKeysWith: { a, _ in a })
            var fenced = 0
            for result in results {
                switch result.result {
                case CheckpointBatch.ResultKind.fenced:
                    table.fence(result.session)
                    fenced += 1
                case CheckpointBatch.ResultKind.accepted, CheckpointBatch.ResultKind.stale:
                    if let version = versions[result.session] { table.markPushed(result.session, version: version, at: now) }
                default:
                    break
                }
            }
            counters.withLock {
                $0.batches += 1
                $0.checkpoints += items.count
                $0.bytes += body.readableBytes
                $0.fenced += fenced
            }
        } catch {
            counters.withLock { $0.failures += 1 }
        }
    }
}
