import CLua
import FlotillaAPI

/// Why a script did not give a result: it did not load, it raised an error, ran past its time or memory limit, or
/// returned something of the wrong shape. The message is what `flotilla interpret` prints and what events carry.
public struct ScriptError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One sandboxed Lua 5.1 state, as Karmada's luavm sets it up:
/// - the base, table, string and math libraries, and a safe `os` (clock, date, difftime, time); no io, no package
///   loader, no debug;
/// - `collectgarbage`, `dofile`, `getfenv`, `getmetatable`, `load`, `loadfile`, `loadstring`, `rawequal`, `rawget`,
///   `rawset`, `setfenv`, `setmetatable`, `module` and `newproxy` raise an error when called; `print` prints nothing;
/// - `require("kube")` returns the `kube` library (`KubeLibrary`); any other module is an error;
/// - every run has a time limit (a count hook checks a monotonic deadline every 1,000 instructions) and the state a
///   memory limit (its allocator refuses to grow past it).
///
/// Each script runs in an environment of its own whose globals fall back to the sandbox's, so one customization's
/// globals never leak into another's. A state is used by one caller at a time: `LuaPool` hands it out.
final class LuaVM {
    private let state: OpaquePointer
    private let budget: UnsafeMutablePointer<flotilla_lua_budget>
    /// Compiled chunks by chunk name and script text (registry references): a script is compiled once per state and run in a fresh
    /// environment each call, so its globals start afresh as Karmada's do, without paying the compiler every time.
    private var compiled: [String: Int32] = [:]
    private static let compiledLimit = 256
    private static let sandbox = "flotilla.sandbox"

    init(memoryLimit: Int) throws(ScriptError) {
        budget = .allocate(capacity: 1)
        budget.initialize(to: flotilla_lua_budget(used: 0, limit: memoryLimit, unlimited: 1, deadline_ns: 0, timed_out: 0))
        guard let state = flotilla_lua_newstate(budget) else {
            budget.deallocate()
            throw ScriptError("the Lua interpreter could not start")
        }
        self.state = state
        try openSandbox()
        budget.pointee.unlimited = 0
    }

    deinit {
        lua_close(state)
        budget.deallocate()
    }

    /// Loads `script` into a fresh environment and calls its global `function` with `arguments`, expecting `results`
    /// values back (nil for a missing one).
    func call(script: String, chunkName: String, function: String, arguments: [JSONValue], results: Int,
              timeLimit: Duration) throws(ScriptError) -> [JSONValue?] {
        let base = lua_gettop(state)
        defer { lua_settop(state, base) }
        budget.pointee.timed_out = 0
        let nanos = timeLimit.components.seconds * 1_000_000_000 + timeLimit.components.attoseconds / 1_000_000_000
        budget.pointee.deadline_ns = flotilla_monotonic_ns() + UInt64(max(nanos, 1))
        defer { budget.pointee.deadline_ns = 0 }

        // The environment: an empty table whose misses read the sandbox's globals.
        lua_createtable(state, 0, 0)
        let environment = lua_gettop(state)
        lua_createtable(state, 0, 1)
        flotilla_lua_getregistry(state, Self.sandbox)
        lua_setfield(state, -2, "__index")
        _ = lua_setmetatable(state, environment)

        try pushChunk(script, chunkName: chunkName)
        lua_pushvalue(state, environment)
        _ = lua_setfenv(state, -2)
        try protectedCall(arguments: 0, results: 0, what: chunkName)

        lua_getfield(state, environment, function)
        guard lua_type(state, -1) == LUA_TFUNCTION else {
            let found = lua_type(state, -1) == LUA_TNIL ? "not found" : "not a function"
            throw ScriptError("\(chunkName): function \(function) \(found)")
        }
        budget.pointee.unlimited = 1
        for argument in arguments { stack.push(argument) }
        budget.pointee.unlimited = 0
        try protectedCall(arguments: Int32(arguments.count), results: Int32(results), what: "\(chunkName): \(function)")
        var values: [JSONValue?] = []
        let first = lua_gettop(state) - Int32(results) + 1
        for index in 0..<Int32(results) {
            values.append(try stack.value(at: first + index, path: "\(function) result \(index + 1)"))
        }
        return values
    }

    /// Pushes the compiled chunk of `script`, compiling it on first use.
    private func pushChunk(_ script: String, chunkName: String) throws(ScriptError) {
        let key = "\(chunkName)\u{0}\(script)"
        if let reference = compiled[key] {
            lua_rawgeti(state, LUA_REGISTRYINDEX, reference)
            return
        }
        var bytes = Array(script.utf8)
        budget.pointee.unlimited = 1
        defer { budget.pointee.unlimited = 0 }
        let loaded = bytes.withUnsafeMutableBytes { raw in
            raw.withMemoryRebound(to: CChar.self) { flotilla_lua_loadbuffer(state, $0.baseAddress, $0.count, chunkName) }
        }
        if loaded != 0 { throw ScriptError("\(chunkName) does not load: \(popMessage())") }
        if compiled.count >= Self.compiledLimit {
            for reference in compiled.values { luaL_unref(state, LUA_REGISTRYINDEX, reference) }
            compiled.removeAll()
        }
        lua_pushvalue(state, -1)
        compiled[key] = luaL_ref(state, LUA_REGISTRYINDEX)
    }

    private func protectedCall(arguments: Int32, results: Int32, what: String) throws(ScriptError) {
        let status = lua_pcall(state, arguments, results, 0)
        guard status != 0 else { return }
        let message = popMessage()
        if budget.pointee.timed_out != 0 { throw ScriptError("\(what): the script ran past its time limit") }
        if status == LUA_ERRMEM { throw ScriptError("\(what): the script ran out of memory (limit \(budget.pointee.limit >> 20) MiB)") }
        throw ScriptError("\(what): \(message)")
    }

    private func popMessage() -> String {
        defer { flotilla_lua_pop(state, 1) }
        guard lua_type(state, -1) == LUA_TSTRING else { return "error object is not a string" }
        return stack.string(at: -1)
    }

    private var stack: LuaStack { LuaStack(state: state) }

    // MARK: sandbox

    private func openSandbox() throws(ScriptError) {
        let libraries: [(lua_CFunction, String)] = [(luaopen_base, ""), (luaopen_table, "table"), (luaopen_string, "string"),
                                                    (luaopen_math, "math"), (luaopen_os, "os")]
        for (open, name) in libraries where flotilla_lua_openlibrary(state, open, name) != 0 {
            throw ScriptError("the Lua library \(name) did not open: \(popMessage())")
        }
        // The safe part of os only.
        flotilla_lua_getglobal(state, "os")
        for member in ["execute", "exit", "getenv", "remove", "rename", "setlocale", "tmpname"] {
            lua_pushnil(state)
            lua_setfield(state, -2, member)
        }
        flotilla_lua_pop(state, 1)
        let refused = ["collectgarbage", "dofile", "getfenv", "getmetatable", "load", "loadfile", "loadstring", "rawequal",
                       "rawget", "rawset", "setfenv", "setmetatable", "module", "newproxy"]
        for name in refused {
            let script = "return function() error('call function \(name) is not supported in the resource interpreter', 2) end"
            var bytes = Array(script.utf8)
            let status = bytes.withUnsafeMutableBytes { raw in
                raw.withMemoryRebound(to: CChar.self) { flotilla_lua_loadbuffer(state, $0.baseAddress, $0.count, name) }
            }
            guard status == 0, lua_pcall(state, 0, 1, 0) == 0 else { throw ScriptError("the sandbox could not be set up: \(popMessage())") }
            flotilla_lua_setglobal(state, name)
        }
        flotilla_lua_pushswiftfunction(state, { _ in 0 })
        flotilla_lua_setglobal(state, "print")
        KubeLibrary.open(state)
        flotilla_lua_setregistry(state, "flotilla.kube")
        flotilla_lua_pushswiftfunction(state, LuaVM.require)
        flotilla_lua_setglobal(state, "require")
        lua_createtable(state, 0, 0)
        flotilla_lua_setregistry(state, LuaStack.arrayMarker)
        lua_pushvalue(state, LUA_GLOBALSINDEX)
        flotilla_lua_setregistry(state, Self.sandbox)
    }

    private static let require: flotilla_swift_function = { state in
        guard let state else { return 0 }
        let name = lua_type(state, 1) == LUA_TSTRING ? LuaStack(state: state).string(at: 1) : ""
        guard name == KubeLibrary.name else {
            lua_pushstring(state, "module '\(name)' not found: only \"\(KubeLibrary.name)\" can be required")
            return -1
        }
        flotilla_lua_getregistry(state, "flotilla.kube")
        return 1
    }
}

extension LuaVM {
    /// The state behind a Swift function's `lua_State` pointer, for the kube library: values are pushed and read with
    /// the memory cap lifted, as in `call`.
    static func borrowing<T>(_ state: OpaquePointer, _ body: (LuaStack) throws(ScriptError) -> T) throws(ScriptError) -> T {
        var ud: UnsafeMutableRawPointer?
        _ = lua_getallocf(state, &ud)
        let budget = ud!.assumingMemoryBound(to: flotilla_lua_budget.self)
        let previous = budget.pointee.unlimited
        budget.pointee.unlimited = 1
        defer { budget.pointee.unlimited = previous }
        return try body(LuaStack(state: state))
    }
}
