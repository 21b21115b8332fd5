// Lua 5.1 (Debian's liblua5.1-0-dev), as Karmada's interpreter scripts expect. The C API's function-like macros
// are not visible to Swift, so the ones Flotilla uses are restated here as inline functions.
#ifndef FLOTILLA_CLUA_SHIM_H
#define FLOTILLA_CLUA_SHIM_H
#include <lua5.1/lua.h>
#include <lua5.1/lualib.h>
#include <lua5.1/lauxlib.h>

static inline void flotilla_lua_pop(lua_State *L, int n) { lua_settop(L, -(n) - 1); }
static inline void flotilla_lua_newtable(lua_State *L) { lua_createtable(L, 0, 0); }
static inline const char *flotilla_lua_tostring(lua_State *L, int i, size_t *len) { return lua_tolstring(L, i, len); }
static inline void flotilla_lua_getglobal(lua_State *L, const char *name) { lua_getfield(L, LUA_GLOBALSINDEX, name); }
static inline void flotilla_lua_setglobal(lua_State *L, const char *name) { lua_setfield(L, LUA_GLOBALSINDEX, name); }
static inline void flotilla_lua_getregistry(lua_State *L, const char *name) { lua_getfield(L, LUA_REGISTRYINDEX, name); }
static inline void flotilla_lua_setregistry(lua_State *L, const char *name) { lua_setfield(L, LUA_REGISTRYINDEX, name); }
static inline int flotilla_lua_isnil(lua_State *L, int i) { return lua_type(L, i) == LUA_TNIL; }
static inline void flotilla_lua_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcclosure(L, f, 0); }
static inline int flotilla_lua_upvalueindex(int i) { return LUA_GLOBALSINDEX - i; }
static inline int flotilla_lua_loadbuffer(lua_State *L, const char *buffer, size_t size, const char *name) {
    return luaL_loadbuffer(L, buffer, size, name);
}

// A state's limits, reached through its allocator's userdata: bytes in use and allowed (`unlimited` lifts the cap
// while Flotilla itself pushes values, so no allocation error can unwind through Swift frames), and a deadline on
// CLOCK_MONOTONIC that a count hook enforces between Lua instructions.
#include <stdlib.h>
#include <time.h>
typedef struct {
    size_t used;
    size_t limit;
    int unlimited;
    unsigned long long deadline_ns;
    int timed_out;
} flotilla_lua_budget;

static inline void *flotilla_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    flotilla_lua_budget *budget = (flotilla_lua_budget *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        budget->used -= old;
        return NULL;
    }
    if (nsize > old && !budget->unlimited && budget->used + (nsize - old) > budget->limit) return NULL;
    void *grown = realloc(ptr, nsize);
    if (grown) budget->used = budget->used - old + nsize;
    return grown;
}

static inline unsigned long long flotilla_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned long long)now.tv_sec * 1000000000ull + (unsigned long long)now.tv_nsec;
}

static inline void flotilla_lua_deadline_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    void *ud = NULL;
    lua_getallocf(L, &ud);
    flotilla_lua_budget *budget = (flotilla_lua_budget *)ud;
    if (budget->deadline_ns != 0 && flotilla_monotonic_ns() > budget->deadline_ns) {
        budget->timed_out = 1;
        lua_pushstring(L, "script exceeded its time limit");
        lua_error(L);
    }
}

static inline lua_State *flotilla_lua_newstate(flotilla_lua_budget *budget) {
    lua_State *L = lua_newstate(flotilla_lua_alloc, budget);
    if (L) lua_sethook(L, flotilla_lua_deadline_hook, LUA_MASKCOUNT, 1000);
    return L;
}

// Functions written in Swift are called through this trampoline: they return the number of results, or -1 after
// pushing an error message, which the trampoline raises. Raising from C keeps Lua's longjmp out of Swift frames.
typedef int (*flotilla_swift_function)(lua_State *L);
static inline int flotilla_lua_trampoline(lua_State *L) {
    flotilla_swift_function function = (flotilla_swift_function)lua_touserdata(L, lua_upvalueindex(1));
    int results = function(L);
    if (results < 0) return lua_error(L);
    return results;
}
static inline void flotilla_lua_pushswiftfunction(lua_State *L, flotilla_swift_function function) {
    lua_pushlightuserdata(L, (void *)function);
    lua_pushcclosure(L, flotilla_lua_trampoline, 1);
}
static inline int flotilla_lua_openlibrary(lua_State *L, lua_CFunction open, const char *name) {
    lua_pushcclosure(L, open, 0);
    lua_pushstring(L, name);
    return lua_pcall(L, 1, 0, 0);
}
#endif
