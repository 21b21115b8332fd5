import AsyncHTTPClient
import DequeModule
import Foundation
import NIOCore
import Synchronization

/// Sends one notification body to a callback URL; throws when the receiver did not take it (no 2xx).
public protocol NotificationSender: Sendable {
    func post(_ body: [UInt8], to url: String) async throws
}

/// The HTTP sender: a POST with `Content-Type: application/json` and a short timeout.
public struct HTTPNotificationSender: NotificationSender {
    let client: HTTPClient

    public init(client: HTTPClient) { self.client = client }

    /// A client suited to callbacks: an unreachable receiver fails within a second (AsyncHTTPClient keeps retrying
    /// a refused connection until the connect timeout), a slow one within five.
    public static func makeClient(connectionsPerHost: Int = 64) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(1), read: .seconds(5))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connectionsPerHost
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func post(_ body: [UInt8], to url: String) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(5))
        _ = try await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else {
            throw CallbackError(message: "\(url) answered \(response.status.code)")
        }
    }
}

struct CallbackError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// One subscription's outbox: notifications go out in order, one at a time; a failed POST is retried with
/// exponential backoff (0.1 s doubling to 10 s). After 5 failures in a row the subscription is marked Failing
/// (visible on GET) and keeps being retried; a queue past 10,000 drops its oldest. Enqueueing never waits.
final class CallbackDelivery: Sendable {
    static let queueLimit = 10_000
    static let failingAfter = 5

    private struct Outbox {
        var queue = Deque<[UInt8]>()
        var state = DeliveryState()
        var stopped = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let outbox = Mutex(Outbox())
    private let worker = Mutex<Task<Void, Never>?>(nil)

    init(subscription: String, url: String, sender: any NotificationSender) {
        // The task holds the delivery until `stop()` ends its loop.
        let task = Task { [self] in
            var backoff = 0.1
            while let body = await self.next() {
                do {
                    try await sender.post(body, to: url)
                    backoff = 0.1
                    outbox.withLock { box in
                        if !box.queue.isEmpty { box.queue.removeFirst() }
                        box.state.delivered += 1
                        box.state.failedAttempts = 0
                        box.state.health = .active
                    }
                } catch {
                    if Task.isCancelled { return }
                    outbox.withLock { box in
                        box.state.failedAttempts += 1
                        box.state.lastError = "\(error)"
                        if box.state.failedAttempts >= Self.failingAfter { box.state.health = .failing }
                    }
                    try? await Task.sleep(for: .seconds(backoff))
                    backoff = min(backoff * 2, 10)
                }
            }
        }
        worker.withLock { $0 = task }
    }

    /// The oldest queued body (left in the queue until delivered), waiting for one; nil once stopped.
    private func next() async -> [UInt8]? {
        while true {
            let (body, stopped): ([UInt8]?, Bool) = outbox.withLock { ($0.queue.first, $0.stopped) }
            if stopped { return nil }
            if let body { return body }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = outbox.withLock { box -> Bool in
                    if !box.queue.isEmpty || box.stopped { return true }
                    box.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    func enqueue(_ body: [UInt8]) {
        let waiter = outbox.withLock { box -> CheckedContinuation<Void, Never>? in
            if box.stopped { return nil }
            if box.queue.count >= Self.queueLimit {
                // The oldest may be in flight; drop the one after it.
                box.queue.remove(at: min(1, box.queue.count - 1))
                box.state.dropped += 1
            }
            box.queue.append(body)
            defer { box.waiter = nil }
            return box.waiter
        }
        waiter?.resume()
    }

    var state: DeliveryState { outbox.withLock { $0.state } }

    func stop() {
        let waiter = outbox.withLock { box -> CheckedContinuation<Void, Never>? in
            box.stopped = true
            box.queue.removeAll()
            defer { box.waiter = nil }
            return box.waiter
        }
        waiter?.resume()
        worker.withLock { $0?.cancel() }
    }
}
