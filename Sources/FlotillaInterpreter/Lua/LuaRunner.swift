import FlotillaAPI
import Synchronization

/// Runs Lua scripts on a small pool of sandboxed states (`LuaVM`), like Karmada's fixed pool of gopher-lua states:
/// a caller takes a state, runs one function, and gives it back. Callers beyond the pool get a fresh state that is
/// dropped afterwards, so nobody waits. Each run is bounded in time (`timeLimit`, 1 s as in Karmada) and each state
/// in memory (`memoryLimit`).
public final class LuaRunner: Sendable {
    public static let shared = LuaRunner()

    public let timeLimit: Duration
    public let memoryLimit: Int
    private let capacity: Int
    private let idle = Mutex<[UncheckedVM]>([])

    public init(timeLimit: Duration = .seconds(1), memoryLimit: Int = 64 << 20, capacity: Int = 4) {
        self.timeLimit = timeLimit
        self.memoryLimit = memoryLimit
        self.capacity = capacity
    }

    /// Calls `function` of `script` with `arguments`; `results` values come back, nil where the script returned nil.
    public func call(_ script: String, chunkName: String, function: String, arguments: [JSONValue], results: Int) throws(ScriptError) -> [JSONValue?] {
        let vm = try take()
        defer { give(vm) }
        return try vm.vm.call(script: script, chunkName: chunkName, function: function, arguments: arguments, results: results,
                              timeLimit: timeLimit)
    }

    private func take() throws(ScriptError) -> UncheckedVM {
        if let vm = idle.withLock({ $0.popLast() }) { return vm }
        return UncheckedVM(vm: try LuaVM(memoryLimit: memoryLimit))
    }

    private func give(_ vm: UncheckedVM) {
        idle.withLock { if $0.count < capacity { $0.append(vm) } }
    }
}

/// A state moves between threads only through the pool's lock, and one caller uses it at a time.
private struct UncheckedVM: @unchecked Sendable {
    let vm: LuaVM
}
