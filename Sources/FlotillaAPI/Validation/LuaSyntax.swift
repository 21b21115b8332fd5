import CLua

/// Compiles a Lua 5.1 chunk without running it, so that a ResourceInterpreterCustomization with a script that cannot
/// load is refused when it is written instead of failing on every object later. Running scripts is
/// FlotillaInterpreter's job.
public enum LuaSyntax {
    /// The compiler's message (`[string "replicaResource"]:3: 'end' expected near '<eof>'`), or nil when it compiles.
    public static func error(in script: String, chunkName: String) -> String? {
        let budget = UnsafeMutablePointer<flotilla_lua_budget>.allocate(capacity: 1)
        budget.initialize(to: flotilla_lua_budget(used: 0, limit: 16 << 20, unlimited: 0, deadline_ns: 0, timed_out: 0))
        defer { budget.deallocate() }
        guard let state = flotilla_lua_newstate(budget) else { return "the Lua compiler could not start" }
        defer { lua_close(state) }
        var utf8 = Array(script.utf8)
        let status = utf8.withUnsafeMutableBytes { bytes in
            bytes.withMemoryRebound(to: CChar.self) { flotilla_lua_loadbuffer(state, $0.baseAddress, $0.count, chunkName) }
        }
        guard status != 0 else { return nil }
        var length = 0
        guard let message = flotilla_lua_tostring(state, -1, &length) else { return "the script does not compile" }
        return String(decoding: UnsafeRawBufferPointer(start: message, count: length), as: UTF8.self)
    }
}
