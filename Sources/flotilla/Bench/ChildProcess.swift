import Foundation
import Synchronization

/// A `flotilla` subcommand the bench runs in its own process: its standard output is kept for `waitFor`, its
/// standard error goes to a log file; `stop()` sends SIGTERM and waits, as an operator's Ctrl-C would.
final class ChildProcess: Sendable {
    let name: String
    private let process: Process
    private let output = Output()

    private final class Output: Sendable {
        let text = Mutex("")
    }

    /// Starts `flotilla ARGUMENTS` (this same executable).
    init(_ name: String, _ arguments: [String], log: URL) throws {
        self.name = name
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        self.process = process
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var stdout: String { output.text.withLock { $0 } }
    /// The exit status (or signal), once it exited.
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Waits until what the process printed satisfies `condition`; fails when it exits first or after `seconds`.
    func waitFor(_ what: String, seconds: Double, _ condition: @escaping (String) -> Bool) async throws {
        try await waitUntil("\(name): \(what)", seconds: seconds, every: .milliseconds(20)) {
            if condition(stdout) { return true }
            guard process.isRunning else { throw BenchFailure("\(name) exited with \(process.terminationStatus) before \(what)") }
            return false
        }
    }

    /// Starts `flotilla serve` on `directory` (port 0: a free one) and returns it with its port once it listens.
    static func serve(directory: URL, port: Int, logLevel: String) async throws -> (process: ChildProcess, port: Int) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = try ChildProcess("control plane", ["serve", "--data-dir", directory.path, "--port", "\(port)", "--log-level", logLevel],
                                       log: directory.appendingPathComponent("serve-\(Int(Date().timeIntervalSince1970)).log"))
        try await process.waitFor("listening", seconds: 120) { $0.contains("listening on") }
        guard let range = process.stdout.range(of: #"listening on [^:]+:(\d+)"#, options: .regularExpression),
              let bound = Int(process.stdout[range].split(separator: ":").last ?? "") else { throw BenchFailure("no port in serve's output") }
        return (process, bound)
    }

    /// SIGTERM and wait, without a time limit (for a `defer`).
    func terminate() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
    }

    /// SIGTERM, then waits for the exit (SIGKILL after `seconds`); returns how long the process took to exit.
    @discardableResult
    func stop(within seconds: Double = 60) async -> Duration {
        let start = ContinuousClock.now
        guard process.isRunning else { return .zero }
        kill(process.processIdentifier, SIGTERM)
        let deadline = start + .milliseconds(Int64(seconds * 1000))
        // Not `Task.sleep`: a bench stopped by a signal is cancelled, and its children must still be waited for.
        while process.isRunning, ContinuousClock.now < deadline { await pause(.milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return ContinuousClock.now - start
    }
}

/// User and system CPU seconds a process has used so far (Linux, /proc/<pid>/stat).
func processCPUSeconds(pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return .nan }
    // After "pid (comm)": state is field 3; utime and stime are fields 14 and 15.
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Waits `duration` even in a cancelled task (where `Task.sleep` returns at once).
func pause(_ duration: Duration) async {
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(duration.components.seconds * 1000
            + duration.components.attoseconds / 1_000_000_000_000_000))) { done.resume() }
    }
}

/// Runs `body` until it ends or SIGINT/SIGTERM arrives; a signal cancels it (its cleanup still runs).
func cancellingOnSignals<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await body() }
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
    for source in sources {
        source.setEventHandler {
            FileHandle.standardError.write(Data("bench: stopping on a signal\n".utf8))
            task.cancel()
        }
        source.resume()
    }
    defer { for source in sources { source.cancel() } }
    return try await task.value
}
