import FlotillaAPI
import FlotillaStore
import Foundation
import Testing

@Suite struct ResourceStoreTests {
    @Test(arguments: BackendKind.allCases)
    func createSetsServerFieldsInOnePlace(kind: BackendKind) async throws {
        let clock = ManualTimeSource(Date(timeIntervalSince1970: 1_700_000_000))
        let store = try await kind.makeStore(clock: clock)
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        var input = configMap("a")
        input.setMetadata("uid", "client-chosen")
        input.setMetadata("resourceVersion", "999")
        let created = try await store.create(configMaps, input, options: .none)
        #expect(created.uid != "client-chosen")
        // A random (version 4, RFC 4122 variant) UUID in lower case, like the API server's.
        let uid = try #require(created.uid)
        #expect(uid.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(uid)")
        #expect(created.uid?.count == 36)
        #expect(created.resourceVersion == String(base + 1))
        #expect(created.generation == 1)
        #expect(created["metadata"]?["creationTimestamp"] == "2023-11-14T22:13:20Z")
        let fetched = try await store.get(configMaps, namespace: "default", name: "a")
        #expect(fetched == created)
        #expect(await store.currentRevision() == base + 1)
    }

    @Test(arguments: BackendKind.allCases)
    func createFailsIfExistsAndKeepsTheOriginal(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        _ = try await store.create(configMaps, configMap("a", data: "first"), options: .none)
        await #expect(throws: APIError.self) {
            _ = try await store.create(configMaps, configMap("a", data: "second"), options: .none)
        }
        do {
            _ = try await store.create(configMaps, configMap("a"), options: .none)
        } catch {
            #expect(error.reason == .alreadyExists)
            #expect(error.code == 409)
            #expect(error.message == #"configmaps "a" already exists"#)
        }
        #expect(try await store.get(configMaps, namespace: "default", name: "a")["data"]?["k"] == "first")
        #expect(await store.currentRevision() == base + 1)
    }

    @Test(arguments: BackendKind.allCases)
    func generateNameAppendsFiveCharacters(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        var input = configMap("")
        input.setMetadata("name", nil)
        input.setMetadata("generateName", "game-")
        let created = try await store.create(configMaps, input, options: .none)
        let name = try #require(created.name)
        #expect(name.hasPrefix("game-"))
        #expect(name.count == 10)
    }

    @Test(arguments: BackendKind.allCases)
    func getOfMissingObjectIsNotFound(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        do {
            _ = try await store.get(deployments, namespace: "default", name: "nope")
            Issue.record("expected NotFound")
        } catch {
            #expect(error.code == 404)
            #expect(error.message == #"deployments.apps "nope" not found"#)
        }
    }

    @Test(arguments: BackendKind.allCases)
    func updateIsCompareAndSwapOnResourceVersion(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        let created = try await store.create(configMaps, configMap("a"), options: .none)
        var first = created
        first["data"] = ["k": "one"]
        let updated = try await store.update(configMaps, first, options: .none)
        #expect(updated.resourceVersion == String(base + 2))
        var stale = created
        stale["data"] = ["k": "two"]
        do {
            _ = try await store.update(configMaps, stale, options: .none)
            Issue.record("expected a conflict")
        } catch {
            #expect(error.reason == .conflict)
            #expect(error.code == 409)
        }
        #expect(try await store.get(configMaps, namespace: "default", name: "a")["data"]?["k"] == "one")
        // Without a resourceVersion the update is unconditional.
        var unconditional = stale
        unconditional.setMetadata("resourceVersion", nil)
        #expect(try await store.update(configMaps, unconditional, options: .none)["data"]?["k"] == "two")
    }

    @Test(arguments: BackendKind.allCases)
    func serverOwnedMetadataSurvivesUpdates(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        let created = try await store.create(configMaps, configMap("a"), options: .none)
        var tampered = created
        tampered.setMetadata("creationTimestamp", "2001-01-01T00:00:00Z")
        tampered.setMetadata("uid", nil)
        tampered["data"] = ["k": "changed"]
        let updated = try await store.update(configMaps, tampered, options: .none)
        #expect(updated.uid == created.uid)
        #expect(updated["metadata"]?["creationTimestamp"] == created["metadata"]?["creationTimestamp"])
    }

    @Test(arguments: BackendKind.allCases)
    func generationCountsSpecChangesOnly(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        let created = try await store.create(deployments, deployment("web"), options: .none)
        #expect(created.generation == 1)
        var labelled = created
        labelled.setMetadata("labels", ["team": "edge"])
        let afterLabel = try await store.update(deployments, labelled, options: .none)
        #expect(afterLabel.generation == 1)
        var withStatus = afterLabel
        withStatus["status"] = ["readyReplicas": 1]
        let afterStatus = try await store.update(deployments, withStatus, options: .none)
        #expect(afterStatus.generation == 1)
        var scaled = afterStatus
        scaled.setValue(5, at: ["spec", "replicas"])
        let afterScale = try await store.update(deployments, scaled, options: .none)
        #expect(afterScale.generation == 2)
    }

    @Test(arguments: BackendKind.allCases)
    func unchangedUpdateDoesNotWrite(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        let created = try await store.create(configMaps, configMap("a"), options: .none)
        let again = try await store.update(configMaps, created, options: .none)
        #expect(again.resourceVersion == created.resourceVersion)
        #expect(await store.currentRevision() == base + 1)
    }

    @Test(arguments: BackendKind.allCases)
    func finalizersHoldTheObjectUntilRemoved(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        _ = try await store.create(deployments, deployment("web", finalizers: ["flotilla.io/cleanup", "b.io/x"]), options: .none)
        let result = try await store.delete(deployments, namespace: "default", name: "web", options: .none)
        guard case .pending(let marked) = result else {
            Issue.record("expected the delete to wait for finalizers")
            return
        }
        #expect(marked.deletionTimestamp != nil)
        #expect(try await store.get(deployments, namespace: "default", name: "web").deletionTimestamp != nil)
        // A second delete changes nothing.
        #expect(try await store.delete(deployments, namespace: "default", name: "web", options: .none) == .pending(marked))
        // New finalizers are forbidden once deletion started.
        var adding = marked
        adding.setMetadata("finalizers", ["flotilla.io/cleanup", "b.io/x", "c.io/new"])
        do {
            _ = try await store.update(deployments, adding, options: .none)
            Issue.record("expected adding a finalizer to be refused")
        } catch {
            #expect(error.code == 422)
        }
        var partial = marked
        partial.setMetadata("finalizers", ["b.io/x"])
        let afterOne = try await store.update(deployments, partial, options: .none)
        #expect(afterOne.finalizers == ["b.io/x"])
        var none = afterOne
        none.setMetadata("finalizers", .array([]))
        _ = try await store.update(deployments, none, options: .none)
        await #expect(throws: APIError.self) { _ = try await store.get(deployments, namespace: "default", name: "web") }
    }

    @Test(arguments: BackendKind.allCases)
    func deletePreconditions(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        let created = try await store.create(configMaps, configMap("a"), options: .none)
        do {
            _ = try await store.delete(configMaps, namespace: "default", name: "a", options: DeleteOptions(uid: "other"))
            Issue.record("expected a precondition failure")
        } catch {
            #expect(error.code == 409)
        }
        do {
            _ = try await store.delete(configMaps, namespace: "default", name: "a", options: DeleteOptions(resourceVersion: "77"))
            Issue.record("expected a precondition failure")
        } catch {
            #expect(error.code == 409)
        }
        let result = try await store.delete(configMaps, namespace: "default", name: "a",
            options: DeleteOptions(uid: created.uid, resourceVersion: created.resourceVersion))
        guard case .deleted(let last) = result else {
            Issue.record("expected the object to be deleted")
            return
        }
        #expect(last.resourceVersion == String(base + 2))
    }

    @Test(arguments: BackendKind.allCases)
    func dryRunStoresNothing(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        let preview = try await store.create(configMaps, configMap("a"), options: WriteOptions(dryRun: true))
        #expect(preview.uid != nil)
        #expect(await store.currentRevision() == base)
        await #expect(throws: APIError.self) { _ = try await store.get(configMaps, namespace: "default", name: "a") }
    }

    @Test(arguments: BackendKind.allCases)
    func listFiltersByNamespaceAndSelectors(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        _ = try await store.create(configMaps, configMap("a", namespace: "games", labels: ["tier": "edge"]), options: .none)
        _ = try await store.create(configMaps, configMap("b", namespace: "games", labels: ["tier": "cloud"]), options: .none)
        _ = try await store.create(configMaps, configMap("c", namespace: "other", labels: ["tier": "edge"]), options: .none)
        let inGames = try await store.list(configMaps, options: ListOptions(filter: ObjectFilter(namespace: "games")))
        #expect(inGames.items.compactMap(\.name) == ["a", "b"])
        let edge = try await store.list(configMaps, options: ListOptions(filter: ObjectFilter(labelSelector: try Selector(parsing: "tier=edge"))))
        #expect(edge.items.compactMap(\.name) == ["a", "c"])
        let byField = try await store.list(configMaps, options: ListOptions(filter: ObjectFilter(fieldSelector: try FieldSelector(parsing: "metadata.name!=a"))))
        #expect(byField.items.compactMap(\.name) == ["b", "c"])
        #expect(edge.resourceVersion == String(base + 3))
    }

    @Test(arguments: BackendKind.allCases)
    func paginationWalksEveryObjectOnce(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        for i in 0..<25 { _ = try await store.create(configMaps, configMap(String(format: "cm-%02d", i)), options: .none) }
        var names: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await store.list(configMaps, options: ListOptions(limit: 10, continueToken: token))
            names += page.items.compactMap(\.name)
            token = page.continueToken
            pages += 1
            if pages == 1 { #expect(page.remainingItemCount == 15) }
        } while token != nil
        #expect(pages == 3)
        #expect(names == (0..<25).map { String(format: "cm-%02d", $0) })
    }

    @Test(arguments: BackendKind.allCases)
    func paginationWithASelectorFillsPages(kind: BackendKind) async throws {
        let store = try await kind.makeStore()
        defer { BackendKind.release(store) }
        let base = await store.currentRevision()
        for i in 0..<40 {
            _ = try await store.create(configMaps, configMap(String(format: "cm-%02d", i), labels: ["even": i % 2 == 0 ? "yes" : "no"]), options: .none)
        }
        let selector = try Selector(parsing: "even=yes")
        let first = try await store.list(configMaps, options: ListOptions(filter: ObjectFilter(labelSelector: selector), limit: 5))
        #expect(first.items.count == 5)
        let rest = try await store.list(configMaps, options: ListOptions(filter: ObjectFilter(labelSelector: selector), continueToken: first.continueToken))
        #expect(rest.items.count == 15)
        #expect(rest.continueToken == nil)
    }

    @Test func malformedContinueTokenIsBadRequest() async throws {
        let store = ResourceStore.memory()
        do {
            _ = try await store.list(configMaps, options: ListOptions(limit: 1, continueToken: "not-a-token"))
            Issue.record("expected 400")
        } catch {
            #expect(error.code == 400)
        }
    }

    @Test func staleContinueTokenIsExpired() async throws {
        let store = ResourceStore.memory(historyLimit: 5)
        for i in 0..<3 { _ = try await store.create(configMaps, configMap("cm-\(i)"), options: .none) }
        let first = try await store.list(configMaps, options: ListOptions(limit: 1))
        for i in 3..<20 { _ = try await store.create(configMaps, configMap("cm-\(i)"), options: .none) }
        do {
            _ = try await store.list(configMaps, options: ListOptions(limit: 1, continueToken: first.continueToken))
            Issue.record("expected 410")
        } catch {
            #expect(error.code == 410)
            #expect(error.reason == .expired)
        }
    }

    @Test func invalidNamesNeverReachTheBackend() async throws {
        let store = ResourceStore.memory()
        for name in ["..", "a/b", "a%2f"] {
            await #expect(throws: APIError.self) { _ = try await store.get(configMaps, namespace: "default", name: name) }
        }
    }
}
