import FlotillaAPI
import FlotillaAPIExtension
import FlotillaServer
import FlotillaTestSupport
import Foundation
import Hummingbird
import Testing

/// What an `APIExtension` can answer (a document, a stream) and where a browser's query token is accepted.
@Suite struct APIExtensionTests {
    /// `/browser/page` answers a page; `/browser/stream` three chunks; it takes the token from the query.
    struct BrowserExtension: APIExtension {
        let pathPrefix = "/browser/"
        let metricName = "browser"
        var acceptsQueryToken: Bool { true }

        func respond(to request: Request, body: [UInt8], user: UserInfo) async throws(APIError) -> ExtensionResponse {
            switch request.uri.path {
            case "/browser/page":
                return ExtensionResponse(content: .bytes(Array("<p>hello \(user.name)</p>".utf8), contentType: "text/html; charset=utf-8"))
            case "/browser/stream":
                let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
                for n in 1...3 { continuation.yield(Array("data: \(n)\n\n".utf8)) }
                continuation.finish()
                return ExtensionResponse(content: .stream(stream, contentType: "text/event-stream"))
            default:
                throw APIError(.notFound, "nothing at \(request.uri.path)")
            }
        }
    }

    @Test func documentsStreamsAndTheQueryTokenOnlyWhereAllowed() async throws {
        let server = try await RunningServer.start(extensions: { _ in [BrowserExtension()] })
        try await withCleanup({
            let token = server.data.viewerToken
            try await TestClient(baseURL: server.baseURL, caPEM: server.data.authority.certificatePEM, token: nil).using { (browser: TestClient) async throws in
                // Without the header, the query token opens the extension's paths…
                let page = try await browser.request(.GET, "/browser/page?token=\(token)")
                #expect(page.status == 200 && page.text == "<p>hello viewer</p>")
                #expect(page.header("Content-Type") == "text/html; charset=utf-8")
                let stream = try await browser.request(.GET, "/browser/stream?token=\(token)")
                #expect(stream.text == "data: 1\n\ndata: 2\n\ndata: 3\n\n")
                #expect(stream.header("Content-Type") == "text/event-stream" && stream.header("Cache-Control") == "no-cache")
                // …but not a wrong one, none at all, or the Kubernetes API.
                #expect(try await browser.request(.GET, "/browser/page?token=wrong").status == 401)
                #expect(try await browser.request(.GET, "/browser/page").status == 401)
                #expect(try await browser.request(.GET, "/api/v1/namespaces?token=\(token)").status == 401)
                let missing = try await browser.request(.GET, "/browser/elsewhere?token=\(token)")
                #expect(missing.status == 404 && missing.json?["reason"] == "NotFound")
            }
        }, cleanup: { await server.stop() })
    }
}
