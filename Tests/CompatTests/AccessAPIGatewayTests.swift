import FlotillaAPI
import Foundation
import Testing

/// The access API gateway as a user runs it: `flotilla sim` with the demo city, `flotilla serve --access-network URL`,
/// and an edge app asking for QoS on demand, onboarding through CAPIF and discovering the APIs.
@Suite struct AccessAPIGatewayTests {
    /// A call over HTTP(S) with curl: status and body.
    static func call(_ method: String, _ url: String, token: String? = nil, body: JSONValue? = nil) async throws -> (status: Int, body: JSONValue, headers: String) {
        let headersFile = FileManager.default.temporaryDirectory.appendingPathComponent("h-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: headersFile) }
        var arguments = ["curl", "-sk", "-X", method, "-D", headersFile, "-w", "\n%{http_code}", url]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        if let body { arguments += ["-H", "Content-Type: application/json", "-d", body.serializedString()] }
        let result = try await ProcessRunner.run("/usr/bin/env", arguments)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        let text = lines.dropLast().joined(separator: "\n")
        let headers = (try? String(contentsOfFile: headersFile, encoding: .utf8)) ?? ""
        return (status, text.isEmpty ? .null : (try? JSONValue.parse(text)) ?? .string(text), headers)
    }

    static func qos(_ ue: String, reference: String = "low-latency") -> JSONValue {
        ["ueIpv4Addr": .string(ue), "qosReference": .string(reference), "notificationDestination": "http://127.0.0.1:9/qos",
         "flowInfo": [["flowId": 1, "flowDescriptions": ["permit out 17 from any to 127.0.0.1 7000"]]]]
    }

    @Test func qosOnDemandOnboardingAndDiscoveryThroughTheGateway() async throws {
        let sim = try BackgroundCommand(ServeLifecycleTests.flotilla, ["sim", "--scenario", SimLifecycleTests.demoCity, "--log-level", "warning"])
        defer { sim.stop() }
        #expect(await sim.waitFor("listening on 127.0.0.1:"), "\(sim.text)")
        let simPort = try #require(sim.text.range(of: #"listening on 127\.0\.0\.1:\d+"#, options: .regularExpression)
            .map { String(sim.text[$0].split(separator: ":").last ?? "") })
        let simURL = "http://127.0.0.1:\(simPort)"
        #expect(try await Self.call("POST", simURL + "/flotilla/v1/control/pause").status == 200)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-apig-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (server, port) = try await ServeLifecycleTests().startServer(dataDir: dir, extra: ["--access-network", simURL])
        defer { server.terminate(); server.waitUntilExit() }
        let kubeconfig = try String(contentsOfFile: "\(dir)/admin.kubeconfig", encoding: .utf8)
        let admin = try #require(kubeconfig.range(of: #"token: \S+"#, options: .regularExpression).map { String(kubeconfig[$0].dropFirst(7)) })
        let apig = "https://127.0.0.1:\(port)/apig"

        // A UE on a 4G or 5G cell, and its best round trip now.
        let ues = try await Self.call("GET", simURL + "/flotilla/v1/ues").body["items"]?.arrayValue ?? []
        let ue = try #require(ues.first { $0["state"] == "Connected" && $0["radio"]?["rat"] != "WiFi" && $0["radio"]?["rat"] != "wifi" }?["address"]?.stringValue)
        let before = try #require(try await Self.call("GET", simURL + "/flotilla/v1/ues/\(ue)/rtt").body["sites"]?.arrayValue?.first?["rttMs"]?.doubleValue)

        // The issue's interface: with the simulation paused, low-latency QoS through the gateway answers 201 …
        let created = try await Self.call("POST", apig + "/3gpp-as-session-with-qos/v1/af-1/subscriptions", token: admin, body: Self.qos(ue))
        #expect(created.status == 201, "\(created.body)")
        #expect(created.body["qosStatus"] == "GUARANTEED", "\(created.body)")
        let link = try #require(created.body["self"]?.stringValue)
        #expect(link.hasPrefix(apig + "/3gpp-as-session-with-qos/v1/af-1/subscriptions/"), "the link is the gateway's: \(link)")
        #expect(created.headers.lowercased().contains("location: \(link.lowercased())"), "\(created.headers)")
        #expect(created.headers.contains("Warning: 299"), "\(created.headers)")
        // … and that UE's best round trip on the simulator's RTT API is lower than before.
        let rtt = try await Self.call("GET", simURL + "/flotilla/v1/ues/\(ue)/rtt").body
        let after = try #require(rtt["sites"]?.arrayValue?.first?["rttMs"]?.doubleValue)
        #expect(after < before - 3, "best site \(before) ms → \(after) ms")
        #expect(rtt["qos"] == "low-latency")
        let read = try await Self.call("GET", link, token: admin)
        #expect(read.status == 200 && read.body["ueIpv4Addr"]?.stringValue == ue, "\(read.body)")

        // Bad requests are ProblemDetails naming the field, through the gateway as from the NEF.
        var bad = Self.qos(ue, reference: "ultra")
        var refused = try await Self.call("POST", apig + "/3gpp-as-session-with-qos/v1/af-1/subscriptions", token: admin, body: bad)
        #expect(refused.status == 400 && refused.body["invalidParams"]?.arrayValue?.first?["param"] == "qosReference", "\(refused.body)")
        bad = Self.qos("10.255.255.254")
        refused = try await Self.call("POST", apig + "/3gpp-as-session-with-qos/v1/af-1/subscriptions", token: admin, body: bad)
        #expect(refused.status == 400 && refused.body["invalidParams"]?.arrayValue?.first?["param"] == "ueIpv4Addr", "\(refused.body)")
        bad = Self.qos(ue)
        bad["ueIpv6Addr"] = "2001:db8::1"
        refused = try await Self.call("POST", apig + "/3gpp-as-session-with-qos/v1/af-1/subscriptions", token: admin, body: bad)
        #expect(refused.status == 400 && refused.body["invalidParams"]?.arrayValue?.first?["param"] == "ueIpv6Addr", "\(refused.body)")
        // Nothing stored was lost to them.
        #expect(try await Self.call("GET", link, token: admin).status == 200)

        // CAPIF onboarding: the invoker's own token, discovery of the three APIs.
        let onboarding: JSONValue = ["notificationDestination": "http://127.0.0.1:9/capif", "apiInvokerInformation": "racing-game",
                                     "onboardingInformation": ["apiInvokerPublicKey": "-----BEGIN PUBLIC KEY-----"],
                                     "apiList": ["serviceAPIDescriptions": [["apiName": "mec013-location"]]]]
        let onboarded = try await Self.call("POST", apig + "/api-invoker-management/v1/onboardedInvokers", token: admin, body: onboarding)
        #expect(onboarded.status == 201, "\(onboarded.body)")
        #expect(onboarded.headers.contains("apiList is the gateway's"), "\(onboarded.headers)")
        #expect(onboarded.body["apiList"]?["serviceAPIDescriptions"]?.arrayValue?.count == 3)
        let invoker = try #require(onboarded.body["apiInvokerId"]?.stringValue)
        let token = try #require(onboarded.body["onboardingInformation"]?["onboardingSecret"]?.stringValue)
        let discovered = try await Self.call("GET", apig + "/service-apis/v1/allServiceAPIs?api-invoker-id=\(invoker)", token: token)
        #expect(discovered.status == 200, "\(discovered.body)")
        let names = Set(discovered.body["serviceAPIDescriptions"]?.arrayValue?.compactMap { $0["apiName"]?.stringValue } ?? [])
        #expect(names == ["mec013-location", "mec012-rni", "3gpp-as-session-with-qos"], "\(discovered.body)")
        let port0 = discovered.body["serviceAPIDescriptions"]?.arrayValue?.first?["aefProfiles"]?.arrayValue?.first?["interfaceDescriptions"]?.arrayValue?.first?["port"]?.int64Value
        #expect(port0 == Int64(port))
        // The invoker reaches the proxied APIs and its own QoS subscriptions; not another's, not the Kubernetes API.
        #expect(try await Self.call("GET", apig + "/location/v2/queries/zones", token: token).status == 200)
        let own = try await Self.call("POST", apig + "/3gpp-as-session-with-qos/v1/\(invoker)/subscriptions", token: token, body: Self.qos(ue))
        #expect(own.status == 201, "\(own.body)")
        #expect(try await Self.call("GET", apig + "/3gpp-as-session-with-qos/v1/af-1/subscriptions", token: token).status == 403)
        #expect(try await Self.call("GET", apig + "/service-apis/v1/allServiceAPIs?api-invoker-id=INV0000000000000000", token: token).status == 403)
        #expect(try await Self.call("GET", "https://127.0.0.1:\(port)/api/v1/namespaces/default/secrets", token: token).status == 403)
        let missing = try await Self.call("GET", apig + "/service-apis/v1/allServiceAPIs", token: admin)
        #expect(missing.status == 400 && missing.body["invalidParams"]?.arrayValue?.first?["param"] == "api-invoker-id", "\(missing.body)")

        // Deleting ends the QoS: the UE's round trip goes back up once both of its subscriptions are gone.
        #expect(try await Self.call("DELETE", link, token: admin).status == 204)
        #expect(try await Self.call("GET", link, token: admin).status == 404)
        let ownLink = try #require(own.body["self"]?.stringValue)
        #expect(try await Self.call("DELETE", ownLink, token: token).status == 204)
        let restored = try #require(try await Self.call("GET", simURL + "/flotilla/v1/ues/\(ue)/rtt").body["sites"]?.arrayValue?.first?["rttMs"]?.doubleValue)
        #expect(abs(restored - before) < 0.01, "\(before) → \(restored)")

        // Offboarding ends the token.
        #expect(try await Self.call("DELETE", apig + "/api-invoker-management/v1/onboardedInvokers/\(invoker)", token: admin).status == 204)
        #expect(try await Self.call("GET", apig + "/service-apis/v1/allServiceAPIs?api-invoker-id=\(invoker)", token: token).status == 401)

        // The access network goes away: the gateway says so (503 ProblemDetails).
        sim.stop()
        let down = try await Self.call("GET", apig + "/location/v2/queries/zones", token: admin)
        #expect(down.status == 503 && down.body["detail"]?.stringValue?.contains("access network") == true, "\(down.body)")
    }
}
