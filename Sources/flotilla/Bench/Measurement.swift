import Foundation

/// Latency samples with percentiles, in milliseconds.
struct LatencySamples {
    private(set) var values: [Double] = []

    mutating func add(_ duration: Duration) {
        values.append(Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15)
    }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count - 1)).rounded(.up))
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

func seconds(_ duration: Duration) -> Double {
    duration.inSeconds
}

/// User and system CPU seconds this process has used.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// Resident set size of this process (Linux).
func residentMemoryMB() -> Double { residentMemoryMB(pid: getpid()) }

/// Resident memory of a process, from /proc/<pid>/statm.
func residentMemoryMB(pid: Int32) -> Double {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return .nan }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Double(fields[1]) else { return .nan }
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
}

/// One result line: what was measured, the figure, and the target it is held to.
struct BenchResult {
    var name: String
    var value: String
    var target: String
    var met: Bool?
}

func printResults(_ title: String, _ results: [BenchResult]) {
    print("\n\(title)")
    let nameWidth = max(10, results.map(\.name.count).max() ?? 0)
    let valueWidth = max(8, results.map(\.value.count).max() ?? 0)
    print("| " + "measure".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + " | "
        + "result".padding(toLength: valueWidth, withPad: " ", startingAt: 0) + " | target | met |")
    print("|" + String(repeating: "-", count: nameWidth + 2) + "|" + String(repeating: "-", count: valueWidth + 2) + "|---|---|")
    for r in results {
        let met = r.met.map { $0 ? "yes" : "NO" } ?? "-"
        print("| " + r.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + " | "
            + r.value.padding(toLength: valueWidth, withPad: " ", startingAt: 0) + " | \(r.target) | \(met) |")
    }
}

func format(_ value: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", value) }

/// Polls `condition` every `interval` until it holds; a bench failure after `limit` seconds.
func waitUntil(_ what: String, seconds limit: Double, every interval: Duration = .milliseconds(2),
               _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(limit * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
    throw BenchFailure("timed out waiting for \(what)")
}
