import AsyncHTTPClient
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import NIOCore
import Testing

/// Reads watch events (one JSON object per line) from a streaming response.
struct EventReader {
    var iterator: HTTPClientResponse.Body.AsyncIterator
    var buffer: [UInt8] = []

    mutating func next() async throws -> JSONValue? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return try JSONValue.parse(line)
            }
            guard let chunk = try await iterator.next() else { return nil }
            buffer.append(contentsOf: chunk.readableBytesView)
        }
    }
}

func openWatch(_ client: TestClient, _ server: RunningServer, _ path: String) async throws -> EventReader {
    var request = HTTPClientRequest(url: server.baseURL + path)
    request.headers.add(name: "Authorization", value: "Bearer \(server.data.adminToken)")
    let response = try await client.http.execute(request, timeout: .seconds(30))
    #expect(response.status.code == 200)
    return EventReader(iterator: response.body.makeAsyncIterator())
}

@Suite struct WatchHTTPTests {
    @Test func streamsEventsOnePerLine() async throws {
        try await withServer { (server, client) async throws in
            _ = try await client.request(.POST, policies, json: policyJSON)
            var events = try await openWatch(client, server, policies + "?watch=True")
            let initial = try #require(try await events.next())
            #expect(initial["type"] == "ADDED")
            _ = try await client.request(.PATCH, policies + "/game", body: Array(#"{"spec":{"priority":3}}"#.utf8), contentType: "application/merge-patch+json")
            let modified = try #require(try await events.next())
            #expect(modified["type"] == "MODIFIED")
            #expect(modified["object"]?["spec"]?["priority"] == 3)
            _ = try await client.request(.DELETE, policies + "/game")
            #expect(try await events.next()?["type"] == "DELETED")
        }
    }

    @Test func resourceVersionResumesAndBookmarksArrive() async throws {
        try await withServer { (server, client) async throws in
            let created = try #require(try await client.request(.POST, policies, json: policyJSON).json)
            var second = policyJSON
            second.setMetadata("name", "second")
            _ = try await client.request(.POST, policies, json: second)
            var events = try await openWatch(client, server, policies + "?watch=1&allowWatchBookmarks=true&resourceVersion=\(created.resourceVersion!)")
            let first = try #require(try await events.next())
            #expect(first["object"]?.name == "second")
            let bookmark = try #require(try await events.next())
            #expect(bookmark["type"] == "BOOKMARK")
            #expect(bookmark["object"]?["metadata"]?["resourceVersion"] == first["object"]?["metadata"]?["resourceVersion"])
        }
    }

    @Test func tooOldResourceVersionIsAnErrorEvent() async throws {
        try await withServer { (server, client) async throws in
            // The memory store keeps 50,000 events; compact explicitly to age revision 1 out.
            for i in 0..<3 {
                var policy = policyJSON
                policy.setMetadata("name", .string("p\(i)"))
                _ = try await client.request(.POST, policies, json: policy)
            }
            await (server.store as! FlotillaStore.ResourceStore).backend.compact(through: await server.store.currentRevision())
            var events = try await openWatch(client, server, policies + "?watch=true&resourceVersion=1")
            let error = try #require(try await events.next())
            #expect(error["type"] == "ERROR")
            #expect(error["object"]?["code"] == 410)
            #expect(error["object"]?["reason"] == "Expired")
        }
    }

    @Test func timeoutSecondsEndsTheStream() async throws {
        try await withServer { (server, client) async throws in
            var events = try await openWatch(client, server, policies + "?watch=true&timeoutSeconds=1")
            let started = ContinuousClock.now
            #expect(try await events.next() == nil)
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func singleObjectWatchByName() async throws {
        try await withServer { (server, client) async throws in
            _ = try await client.request(.POST, policies, json: policyJSON)
            var other = policyJSON
            other.setMetadata("name", "other")
            _ = try await client.request(.POST, policies, json: other)
            var events = try await openWatch(client, server, policies + "?watch=true&fieldSelector=metadata.name%3Dother")
            #expect(try await events.next()?["object"]?.name == "other")
        }
    }
}

import FlotillaStore
