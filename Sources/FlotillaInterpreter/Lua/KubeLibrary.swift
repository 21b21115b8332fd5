import CLua
import FlotillaAPI

/// Karmada's `kube` Lua library (`local kube = require("kube")`), with the same functions and results:
/// - `resourceAdd(q1, q2, …)`: the sum of quantity strings (nil counts as zero), as a canonical quantity string;
/// - `getResourceQuantity(q)`: a quantity string as a number (`"500m"` → 0.5);
/// - `accuratePodRequirements(podTemplate)`: `{nodeClaim, resourceRequest, priorityClassName}` per replica, or nil;
/// - `getPodDependencies(podTemplate, namespace)`: the ConfigMaps, Secrets, ServiceAccounts and PVCs it refers to.
enum KubeLibrary {
    static let name = "kube"

    /// Pushes the library table.
    static func open(_ state: OpaquePointer) {
        let functions: [(String, flotilla_swift_function)] = [
            ("resourceAdd", resourceAdd), ("getResourceQuantity", getResourceQuantity),
            ("accuratePodRequirements", accuratePodRequirements), ("getPodDependencies", getPodDependencies),
        ]
        lua_createtable(state, 0, Int32(functions.count))
        for (name, function) in functions {
            flotilla_lua_pushswiftfunction(state, function)
            lua_setfield(state, -2, name)
        }
    }

    /// Runs a library function's body; a thrown error becomes the Lua error the trampoline raises.
    private static func run(_ state: OpaquePointer?, _ body: (LuaStack) throws(ScriptError) -> Int32) -> Int32 {
        guard let state else { return 0 }
        do {
            return try LuaVM.borrowing(state, body)
        } catch {
            LuaStack(state: state).pushString(error.message)
            return -1
        }
    }

    private static func quantity(_ stack: LuaStack, _ index: Int32, function: String) throws(ScriptError) -> Quantity {
        switch lua_type(stack.state, index) {
        case LUA_TNIL, LUA_TNONE: return .zero
        case LUA_TSTRING, LUA_TNUMBER:
            let text = lua_type(stack.state, index) == LUA_TNUMBER ? String(describing: (try? stack.value(at: index, path: "")).flatMap { $0 } ?? .null)
                : stack.string(at: index)
            do { return try Quantity(parsing: text) } catch { throw ScriptError("\(function): \(error)") }
        default:
            throw ScriptError("\(function): bad argument #\(index) (string expected)")
        }
    }

    private static let resourceAdd: flotilla_swift_function = { state in
        run(state) { stack throws(ScriptError) in
            var total = Quantity.zero
            let count = lua_gettop(stack.state)
            if count > 0 { for index in 1...count { total += try quantity(stack, index, function: "resourceAdd") } }
            stack.pushString(total.canonical)
            return 1
        }
    }

    private static let getResourceQuantity: flotilla_swift_function = { state in
        run(state) { stack throws(ScriptError) in
            lua_pushnumber(stack.state, try quantity(stack, 1, function: "getResourceQuantity").doubleValue)
            return 1
        }
    }

    private static let accuratePodRequirements: flotilla_swift_function = { state in
        run(state) { stack throws(ScriptError) in
            guard lua_gettop(stack.state) == 1, lua_type(stack.state, 1) == LUA_TTABLE else {
                throw ScriptError("accuratePodRequirements only accepts one argument, a pod template")
            }
            stack.push(PodTemplates.replicaRequirements(try requirementFields(stack, template: 1)) ?? .null)
            return 1
        }
    }

    /// The part of a pod template `PodTemplates.replicaRequirements` reads, converted without the rest (a workload's
    /// env, probes and volumes are most of its size).
    private static func requirementFields(_ stack: LuaStack, template: Int32) throws(ScriptError) -> JSONValue {
        var spec: JSONObject = [:]
        for list in ["containers", "initContainers"] {
            spec[list] = try stack.items(at: template, arrayPath: ["spec", list], keeping: ["resources"])
        }
        for field in ["overhead", "nodeSelector", "tolerations", "priorityClassName"] {
            spec[field] = try stack.value(at: template, path: ["spec", field])
        }
        if let required = try stack.value(at: template, path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]) {
            spec["affinity"] = ["nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": required]]
        }
        return ["spec": .object(spec)]
    }

    private static let getPodDependencies: flotilla_swift_function = { state in
        run(state) { stack throws(ScriptError) in
            guard lua_gettop(stack.state) == 2, lua_type(stack.state, 1) == LUA_TTABLE else {
                throw ScriptError("getPodDependencies only accepts two arguments, a pod template and a namespace")
            }
            let template = try stack.value(at: 1, path: "podTemplate")
            let namespace = lua_type(stack.state, 2) == LUA_TNIL ? "default" : stack.string(at: 2)
            stack.push(.array(PodTemplates.dependencies(template, namespace: namespace).map(\.json)))
            return 1
        }
    }
}
