import Testing
@testable import FlotillaAPI

@Suite struct MergePatchTests {
    /// Cases from RFC 7386 appendix A.
    @Test(arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"a":1,"e":null}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func rfc7386Examples(original: String, patch: String, expected: String) throws {
        let result = MergePatch.apply(try JSONValue.parse(patch), to: try JSONValue.parse(original))
        #expect(result == (try JSONValue.parse(expected)))
    }

    @Test func diffProducesAPatchThatReproducesTheTarget() throws {
        let a = try JSONValue.parse(#"{"a":1,"b":{"c":2,"d":3},"e":[1]}"#)
        let b = try JSONValue.parse(#"{"a":1,"b":{"c":5},"e":[2],"f":true}"#)
        let patch = try #require(MergePatch.diff(from: a, to: b))
        #expect(MergePatch.apply(patch, to: a) == b)
    }
}

@Suite struct JSONPatchTests {
    /// Cases from RFC 6902 appendix A.
    @Test(arguments: [
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        (#"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        (#"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        (#"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        (#"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#, #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
         #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#),
        (#"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#, #"{"foo":["all","cows","eat","grass"]}"#),
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#, #"{"foo":"bar","child":{"grandchild":{}}}"#),
        (#"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, #"{"foo":["bar",["abc","def"]]}"#),
        (#"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        (#"{"a":{"b":1}}"#, #"[{"op":"copy","from":"/a","path":"/c"}]"#, #"{"a":{"b":1},"c":{"b":1}}"#),
        (#"{"a":1}"#, #"[{"op":"replace","path":"","value":[1]}]"#, #"[1]"#),
    ])
    func rfc6902Examples(original: String, patch: String, expected: String) throws {
        let result = try JSONPatch.apply(try JSONValue.parse(patch), to: try JSONValue.parse(original))
        #expect(result == (try JSONValue.parse(expected)))
    }

    @Test(arguments: [
        (#"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#, PatchError.Kind.unprocessable),
        (#"{"baz":"qux"}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#, .unprocessable),
        (#"{"foo":[1]}"#, #"[{"op":"add","path":"/foo/5","value":1}]"#, .unprocessable),
        (#"{"foo":[1]}"#, #"[{"op":"remove","path":"/foo/01"}]"#, .unprocessable),
        (#"{}"#, #"[{"op":"frobnicate","path":"/a"}]"#, .malformed),
        (#"{}"#, #"{"op":"add","path":"/a","value":1}"#, .malformed),
        (#"{}"#, #"[{"op":"add","value":1}]"#, .malformed),
        (#"{}"#, #"[{"op":"add","path":"a","value":1}]"#, .malformed),
        (#"{"a":{"b":1}}"#, #"[{"op":"move","from":"/a","path":"/a/b/c"}]"#, .unprocessable),
    ])
    func errorsAreTyped(original: String, patch: String, kind: PatchError.Kind) throws {
        #expect {
            _ = try JSONPatch.apply(try JSONValue.parse(patch), to: try JSONValue.parse(original))
        } throws: { error in
            (error as? PatchError)?.kind == kind
        }
    }

    @Test func failedPatchLeavesTheDocumentUntouched() throws {
        let original = try JSONValue.parse(#"{"a":1}"#)
        let patch = try JSONValue.parse(#"[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":5}]"#)
        #expect(throws: PatchError.self) { _ = try JSONPatch.apply(patch, to: original) }
        #expect(original == (try JSONValue.parse(#"{"a":1}"#)))
    }
}

@Suite struct StrategicMergePatchTests {
    static let deployment = try! JSONValue.parse("""
        {"apiVersion":"apps/v1","kind":"Deployment",
         "metadata":{"name":"web","finalizers":["a.io/x","b.io/y"],"labels":{"app":"web"}},
         "spec":{"replicas":2,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
          "template":{"spec":{"containers":[
            {"name":"app","image":"app:1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"},{"name":"C","value":"3"}],
             "ports":[{"containerPort":80},{"containerPort":443}]},
            {"name":"sidecar","image":"proxy:1"}]}}}}
        """)

    func apply(_ patch: String, to original: JSONValue = deployment) throws -> JSONValue {
        try StrategicMergePatch.apply(try JSONValue.parse(patch), to: original, schema: .deployment)
    }

    func containers(_ value: JSONValue) -> [JSONValue] {
        value.value(at: ["spec", "template", "spec", "containers"])?.arrayValue ?? []
    }

    /// The body kubectl 1.33 sends after removing a container, an env var, a port and a finalizer (observed).
    @Test func kubectlApplyRemovalBody() throws {
        let result = try apply("""
            {"metadata":{"$deleteFromPrimitiveList/finalizers":["b.io/y"],"$setElementOrder/finalizers":["a.io/x"]},
             "spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"}],
               "containers":[{"name":"app","image":"app:2","$setElementOrder/env":[{"name":"A"},{"name":"C"}],
                 "env":[{"name":"C","value":"3"},{"$patch":"delete","name":"B"}],
                 "$setElementOrder/ports":[{"containerPort":80}],"ports":[{"$patch":"delete","containerPort":443}]},
               {"$patch":"delete","name":"sidecar"}]}}}}
            """)
        #expect(result.finalizers == ["a.io/x"])
        let list = containers(result)
        #expect(list.count == 1)
        #expect(list[0]["image"] == "app:2")
        #expect(list[0]["env"] == (try JSONValue.parse(#"[{"name":"A","value":"1"},{"name":"C","value":"3"}]"#)))
        #expect(list[0]["ports"] == (try JSONValue.parse(#"[{"containerPort":80}]"#)))
        #expect(result["metadata"]?["labels"] == ["app": "web"])
        #expect(result.serializedString().contains("$") == false)
    }

    @Test func containersMergeByNameAndKeepUnmentionedOnes() throws {
        let result = try apply(#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"proxy:2"}]}}}}"#)
        let list = containers(result)
        #expect(list.map { $0["name"] } == ["app", "sidecar"])
        #expect(list[1]["image"] == "proxy:2")
        #expect(list[0]["env"]?.arrayValue?.count == 3)
    }

    @Test func newElementsAreAppendedAndOrderDirectiveReorders() throws {
        let result = try apply("""
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"init"},{"name":"app"},{"name":"sidecar"}],
             "containers":[{"name":"init","image":"busybox"}]}}}}
            """)
        #expect(containers(result).map { $0["name"] } == ["init", "app", "sidecar"])
    }

    @Test func envMergesByName() throws {
        let result = try apply(#"{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"B","value":"20"},{"name":"D","value":"4"}]}]}}}}"#)
        let env = containers(result)[0]["env"]?.arrayValue ?? []
        #expect(env.map { $0["name"] } == ["A", "B", "C", "D"])
        #expect(env[1]["value"] == "20")
    }

    @Test func portsMergeByContainerPort() throws {
        let result = try apply(#"{"spec":{"template":{"spec":{"containers":[{"name":"app","ports":[{"containerPort":443,"name":"tls"}]}]}}}}"#)
        let ports = containers(result)[0]["ports"]?.arrayValue ?? []
        #expect(ports.count == 2)
        #expect(ports[1]["name"] == "tls")
    }

    @Test func listReplaceDirective() throws {
        let result = try apply(#"{"spec":{"template":{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"x"}]}}}}"#)
        #expect(containers(result).map { $0["name"] } == ["only"])
    }

    @Test func mapDeleteAndReplaceDirectives() throws {
        let deleted = try apply(#"{"spec":{"strategy":{"$patch":"delete"}}}"#)
        #expect(deleted["spec"]?["strategy"] == nil)
        let replaced = try apply(#"{"metadata":{"labels":{"$patch":"replace","tier":"edge"}}}"#)
        #expect(replaced["metadata"]?["labels"] == ["tier": "edge"])
    }

    @Test func retainKeysClearsUnnamedKeys() throws {
        let result = try apply(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#)
        #expect(result["spec"]?["strategy"] == ["type": "Recreate"])
    }

    @Test func nullDeletesAndPrimitiveListsMerge() throws {
        let result = try apply(#"{"metadata":{"labels":{"app":null},"finalizers":["c.io/z"]},"spec":{"replicas":5}}"#)
        #expect(result["metadata"]?["labels"] == .object([:]))
        #expect(result.finalizers == ["a.io/x", "b.io/y", "c.io/z"])
        #expect(result["spec"]?["replicas"] == 5)
    }

    @Test func listsWithoutAMergeKeyAreReplaced() throws {
        let original = try JSONValue.parse(#"{"spec":{"template":{"spec":{"containers":[{"name":"app","args":["a","b"]}]}}}}"#)
        let result = try apply(#"{"spec":{"template":{"spec":{"containers":[{"name":"app","args":["c"]}]}}}}"#, to: original)
        #expect(containers(result)[0]["args"] == ["c"])
    }

    @Test(arguments: [
        #"[1,2]"#, #"{"spec":{"template":{"spec":{"containers":[{"image":"no-name"}]}}}}"#,
        #"{"metadata":{"$patch":"explode"}}"#, #"{"spec":{"template":{"spec":{"containers":["x"]}}}}"#,
    ])
    func malformedPatchesAreRejected(patch: String) {
        #expect(throws: PatchError.self) { _ = try apply(patch) }
    }

    @Test func customKindsHaveNoSchema() {
        #expect(PatchSchema.forKind(group: "policy.karmada.io", kind: "PropagationPolicy") == nil)
        #expect(PatchSchema.forKind(group: "apps", kind: "Deployment") != nil)
    }
}
