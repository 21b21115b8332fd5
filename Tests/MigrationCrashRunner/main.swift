// The control plane's side of one migration, in a process of its own so that a test can SIGKILL it mid-transfer:
// opens the SQLite store at <sqlite-path>, records session s1 at <source>, and migrates it to <target>. The test
// stalls the target's import, kills this process while the source is frozen, and recovers from the store.
import FlotillaAPI
import FlotillaControllers
import FlotillaMEC
import FlotillaStore
import Foundation

guard CommandLine.arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: MigrationCrashRunner <sqlite-path> <source host:port> <target host:port>\n".utf8))
    exit(2)
}
let (path, source, target) = (CommandLine.arguments[1], CommandLine.arguments[2], CommandLine.arguments[3])
let client = StoreObjectClient(store: try ResourceStore.sqlite(path: path))
_ = try await client.create(Namespace.descriptor, Namespace(name: "default").json())
var session = try AppSession(json: try await client.create(AppSession.descriptor,
    AppSession(metadata: ObjectMeta(name: "s1", namespace: "default"), spec: AppSessionSpec(ue: "10.0.0.9", app: "counter")).json()))
session.status = AppSessionStatus(site: "edge-a", endpoint: source, phase: "Active")
session = try AppSession(json: try await client.updateStatus(AppSession.descriptor, session.json()))
FileHandle.standardOutput.write(Data("migrating\n".utf8))
let transport = HTTPTransport(timeout: .seconds(30))
let record = try await MigrationRunner(client: client, transport: transport)
    .migrate(MigrationRunner.Request(session: session, target: EdgeInstance(site: "edge-b", endpoint: target), reason: "Manual"))
FileHandle.standardOutput.write(Data("finished \(record.status?.phase ?? "?")\n".utf8))
await transport.shutdown()
