import Testing

/// Polls `condition` until it holds; records an issue naming `what` when it does not within `seconds`.
public func waitUntil(_ what: String, seconds: Double = 20, every interval: Duration = .milliseconds(50),
                      _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    Issue.record("timed out waiting for \(what)")
}
