import FlotillaAPI
import Testing
@testable import FlotillaInterpreter

/// The Lua state the customizations run in: JSON in and out, Karmada's sandbox, and the time and memory limits.
@Suite struct LuaSandboxTests {
    let runner = LuaRunner(timeLimit: .milliseconds(200), memoryLimit: 8 << 20)

    func call(_ script: String, _ function: String = "F", arguments: [JSONValue] = [], results: Int = 1) throws(ScriptError) -> [JSONValue?] {
        try runner.call(script, chunkName: "test", function: function, arguments: arguments, results: results)
    }

    @Test func valuesRoundTripAsJSON() throws {
        let object: JSONValue = ["name": "web", "replicas": 3, "ratio": 0.5, "on": true, "tags": ["a", "b"], "empty": .array([]),
                                 "none": .object([:])]
        let result = try call("function F(o) return o end", arguments: [object])[0]
        #expect(result == object)
    }

    @Test func tablesAScriptBuildsBecomeArraysOrObjects() throws {
        let result = try call("function F() return {list = {1, 2, 3}, map = {a = 1}, whole = 2.0, mixed = {1, x = 2}} end")[0]
        #expect(result?["list"] == [1, 2, 3])
        #expect(result?["map"] == ["a": 1])
        #expect(result?["whole"] == .integer(2))
        #expect(result?["mixed"] == ["1": 1, "x": 2])
    }

    @Test(arguments: ["dofile", "loadstring", "load", "setmetatable", "getmetatable", "rawset", "setfenv", "collectgarbage", "module", "newproxy"])
    func unsafeFunctionsRaise(name: String) {
        #expect(throws: ScriptError.self) { try call("function F() return \(name)('x') end") }
    }

    @Test func noIOAndNoProcessControl() throws {
        #expect(try call("function F() return io == nil and os.execute == nil and os.exit == nil and os.getenv == nil and debug == nil end")[0] == .bool(true))
        #expect(try call("function F() return type(os.time()) end")[0] == "number")
        let error = #expect(throws: ScriptError.self) { try call("local x = require('io') function F() return 1 end") }
        #expect(error?.message.contains("only \"kube\" can be required") == true)
    }

    @Test func aRunawayScriptStopsAtItsTimeLimit() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let error = #expect(throws: ScriptError.self) { try call("function F() while true do end end") }
        #expect(error?.message.contains("time limit") == true)
        #expect(clock.now - started < .seconds(5))
        // The state is usable afterwards.
        #expect(try call("function F() return 1 end")[0] == .integer(1))
    }

    @Test func aScriptCannotExhaustMemory() throws {
        let error = #expect(throws: ScriptError.self) {
            try call("function F() local s = 'x' local t = {} for i = 1, 100 do s = s .. s t[i] = s end return #s end")
        }
        #expect(error?.message.contains("out of memory") == true)
        #expect(try call("function F() return 'fine' end")[0] == "fine")
    }

    @Test func globalsDoNotLeakBetweenScripts() throws {
        _ = try call("leaked = 42 function F() return leaked end")
        #expect(try call("function F() return leaked end")[0] == nil)
    }

    @Test func errorsNameTheScriptAndLine() {
        let error = #expect(throws: ScriptError.self) { try call("function F()\n  error('boom')\nend") }
        #expect(error?.message.contains("test") == true)
        #expect(error?.message.contains("boom") == true)
        let missing = #expect(throws: ScriptError.self) { try call("function G() end") }
        #expect(missing?.message.contains("function F not found") == true)
        let syntax = #expect(throws: ScriptError.self) { try call("function F(") }
        #expect(syntax?.message.contains("does not load") == true)
    }

    @Test func syntaxIsCheckedWithoutRunning() {
        #expect(LuaSyntax.error(in: "function F() return 1 end", chunkName: "x") == nil)
        #expect(LuaSyntax.error(in: "function F() return 1", chunkName: "replicaResource")?.contains("'end' expected") == true)
    }

    @Test func concurrentCallersEachGetAState() async throws {
        try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            for index in 0..<16 {
                group.addTask { try runner.call("function F(n) local s = 0 for i = 1, n do s = s + i end return s end", chunkName: "sum",
                                                function: "F", arguments: [.integer(Int64(index * 100))], results: 1)[0] }
            }
            var results: [Int64] = []
            for try await result in group { results.append(result?.int64Value ?? -1) }
            let expected: [Int64] = (0..<16).map { (index: Int) -> Int64 in let n = Int64(index * 100); return n * (n + 1) / 2 }
            #expect(results.sorted() == expected)
        }
    }
}
