import CLua
import FlotillaAPI

/// Values in and out of a Lua state's stack, as JSON. Lua has one table type for both JSON arrays and objects:
/// arrays pushed from JSON carry a marker metatable, so an empty one comes back as `[]`; a table a script built comes
/// back as an array when its keys are exactly 1…n, otherwise as an object.
struct LuaStack {
    let state: OpaquePointer
    static let arrayMarker = "flotilla.array"

    func string(at index: Int32) -> String {
        var length = 0
        guard let pointer = flotilla_lua_tostring(state, index, &length) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }


    /// Pushes a JSON value: objects become tables with string keys, arrays tables 1…n marked as arrays (so that an
    /// empty one comes back as `[]`), null nil.
    func push(_ value: JSONValue) {
        switch value {
        case .null: lua_pushnil(state)
        case .bool(let bool): lua_pushboolean(state, bool ? 1 : 0)
        case .integer(let integer): lua_pushnumber(state, Double(integer))
        case .double(let double): lua_pushnumber(state, double)
        case .string(let string): pushString(string)
        case .array(let items):
            lua_createtable(state, Int32(clamping: items.count), 0)
            for (offset, item) in items.enumerated() {
                push(item)
                lua_rawseti(state, -2, Int32(clamping: offset + 1))
            }
            flotilla_lua_getregistry(state, Self.arrayMarker)
            _ = lua_setmetatable(state, -2)
        case .object(let members):
            lua_createtable(state, 0, Int32(clamping: members.count))
            for (key, member) in members {
                if case .null = member { continue }
                pushString(key)
                push(member)
                lua_rawset(state, -3)
            }
        }
    }

    func pushString(_ string: String) {
        var copy = string
        copy.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { lua_pushlstring(state, $0.baseAddress, $0.count) }
        }
    }

    /// The Lua value at `index` as JSON: a number that is whole becomes an integer; a table with keys 1…n (or marked as
    /// an array) an array, any other table an object with its keys as strings; nil is absent. `path` names the value
    /// in an error; the path inside it is added as the error unwinds, so a value that converts costs no strings.
    func value(at index: Int32, path: String) throws(ScriptError) -> JSONValue? {
        do {
            return try convert(at: index < 0 ? lua_gettop(state) + index + 1 : index, depth: 0)
        } catch {
            throw ScriptError("\(path)\(error.path): \(error.message)")
        }
    }

    private struct Failure: Error {
        var path: String
        var message: String
    }

    /// `index` is absolute.
    private func convert(at index: Int32, depth: Int) throws(Failure) -> JSONValue? {
        switch lua_type(state, index) {
        case LUA_TNIL: return nil
        case LUA_TBOOLEAN: return .bool(lua_toboolean(state, index) != 0)
        case LUA_TNUMBER:
            let number = lua_tonumber(state, index)
            if number.rounded() == number, abs(number) < 9.007_199_254_740_992e15 { return .integer(Int64(number)) }
            guard number.isFinite else { throw Failure(path: "", message: "\(number) is not a JSON number") }
            return .double(number)
        case LUA_TSTRING: return .string(string(at: index))
        case LUA_TTABLE:
            guard depth < 100 else { throw Failure(path: "", message: "tables nest deeper than 100 levels (a cycle?)") }
            return try table(at: index, depth: depth)
        default:
            let name = String(cString: lua_typename(state, lua_type(state, index)))
            throw Failure(path: "", message: "a \(name) cannot be converted to JSON")
        }
    }

    private func table(at index: Int32, depth: Int) throws(Failure) -> JSONValue {
        var marked = false
        if lua_getmetatable(state, index) != 0 {
            flotilla_lua_getregistry(state, Self.arrayMarker)
            marked = lua_rawequal(state, -1, -2) != 0
            flotilla_lua_pop(state, 2)
        }
        let length = Int(lua_objlen(state, index))
        // A table marked as an array (pushed from JSON) is read by position.
        if marked {
            var items: [JSONValue] = []
            items.reserveCapacity(length)
            for position in 0..<length {
                lua_rawgeti(state, index, Int32(position + 1))
                defer { flotilla_lua_pop(state, 1) }
                do {
                    if let item = try convert(at: lua_gettop(state), depth: depth + 1) { items.append(item) }
                } catch {
                    throw Failure(path: "[\(position + 1)]\(error.path)", message: error.message)
                }
            }
            return .array(items)
        }
        var numbered: [Int: JSONValue] = [:]
        // Collected, then sorted once: inserting a table's keys one by one into a sorted object moved the members
        // after each. A key written twice (a string "1" and the number 1) keeps the number's value, as before.
        var named: [JSONObject.Member] = []
        lua_pushnil(state)
        while lua_next(state, index) != 0 {
            // Key at -2, value at -1. Never convert a number key in place: lua_next needs it unchanged.
            let top = lua_gettop(state)
            let keyType = lua_type(state, top - 1)
            if keyType == LUA_TSTRING {
                let key = string(at: top - 1)
                do {
                    if let value = try convert(at: top, depth: depth + 1) { named.append(JSONObject.Member(key, value)) }
                } catch {
                    flotilla_lua_pop(state, 2)
                    throw Failure(path: ".\(key)\(error.path)", message: error.message)
                }
            } else if keyType == LUA_TNUMBER {
                let number = lua_tonumber(state, top - 1)
                do {
                    if number >= 1, number.rounded() == number, number < 1e9 {
                        numbered[Int(number)] = try convert(at: top, depth: depth + 1)
                    } else {
                        if let value = try convert(at: top, depth: depth + 1) {
                            named.append(JSONObject.Member(String(describing: number), value))
                        }
                    }
                } catch {
                    flotilla_lua_pop(state, 2)
                    throw Failure(path: "[\(number)]\(error.path)", message: error.message)
                }
            } else {
                flotilla_lua_pop(state, 2)
                throw Failure(path: "", message: "a table key must be a string or a number")
            }
            flotilla_lua_pop(state, 1)
        }
        if named.isEmpty, !numbered.isEmpty, numbered.count == length, numbered.keys.allSatisfy({ $0 <= length }) {
            return .array((1...length).compactMap { numbered[$0] })
        }
        for (key, value) in numbered { named.append(JSONObject.Member(String(key), value)) }
        return .object(JSONObject(unsortedMembers: named))
    }

    /// The value at `path` under the table at `index` (absolute), converted alone: nil when a step is missing or not
    /// a table. Reading a few fields of a large object this way skips converting the rest.
    func value(at index: Int32, path: [String]) throws(ScriptError) -> JSONValue? {
        let base = lua_gettop(state)
        defer { lua_settop(state, base) }
        lua_pushvalue(state, index)
        for step in path {
            guard lua_type(state, -1) == LUA_TTABLE else { return nil }
            lua_getfield(state, -1, step)
        }
        return try value(at: lua_gettop(state), path: path.joined(separator: "."))
    }

    /// Each item's value at `path` for the array at `arrayPath` under the table at `index`, as objects holding only
    /// that path (`[{resources: …}, …]`).
    func items(at index: Int32, arrayPath: [String], keeping path: [String]) throws(ScriptError) -> JSONValue? {
        let base = lua_gettop(state)
        defer { lua_settop(state, base) }
        lua_pushvalue(state, index)
        for step in arrayPath {
            guard lua_type(state, -1) == LUA_TTABLE else { return nil }
            lua_getfield(state, -1, step)
        }
        guard lua_type(state, -1) == LUA_TTABLE else { return nil }
        let array = lua_gettop(state)
        var items: [JSONValue] = []
        for position in 0..<Int(lua_objlen(state, array)) {
            lua_rawgeti(state, array, Int32(position + 1))
            var item = JSONValue.object([:])
            if let kept = try value(at: lua_gettop(state), path: path) { item.setValue(kept, at: path) }
            items.append(item)
            flotilla_lua_pop(state, 1)
        }
        return .array(items)
    }
}
