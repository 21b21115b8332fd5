/// Runs `body`, then `cleanup`, whether `body` returned or threw.
///
/// A failing test must still stop what it started: AsyncHTTPClient traps in debug builds when a client is dropped
/// without `shutdown()`, which would turn one failed expectation into a crash of the whole test process.
public func withCleanup<T>(_ body: () async throws -> T, cleanup: () async -> Void) async throws -> T {
    let result: T
    do {
        result = try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
    return result
}
