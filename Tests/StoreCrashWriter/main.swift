// Writes ConfigMaps into a SQLite store as fast as it can and prints "ack <n>" after each write is acknowledged.
// The crash-durability test kills this process with SIGKILL mid-stream and checks every acknowledged write.
import FlotillaAPI
import FlotillaStore
import Foundation

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: StoreCrashWriter <sqlite-path>\n".utf8))
    exit(2)
}
let store = try ResourceStore.sqlite(path: CommandLine.arguments[1])
let resource = GroupResource(group: "", resource: "configmaps")
var n = 0
while true {
    let object: JSONValue = [
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": ["name": .string("cm-\(n)"), "namespace": "default"],
        "data": ["payload": .string(String(repeating: "x", count: 512))],
    ]
    _ = try await store.create(resource, object, options: .none)
    // One write(2) per acknowledgement: nothing sits in a buffer when the process is killed.
    FileHandle.standardOutput.write(Data("ack \(n)\n".utf8))
    n += 1
}
