import Testing
@testable import FlotillaAPI

@Suite struct SelectorTests {
    static let labels = ["env": "prod", "tier": "edge", "app": "game"]

    @Test(arguments: [
        ("", true), ("env=prod", true), ("env==prod", true), ("env!=prod", false), ("env=dev", false),
        ("env in (prod,dev)", true), ("env notin (prod)", false), ("missing notin (x)", true), ("missing!=x", true),
        ("tier", true), ("!tier", false), ("!missing", true), ("env=prod,tier=edge", true), ("env=prod,tier=cloud", false),
        ("  env = prod , app in ( game , x ) ", true),
    ])
    func matchesLikeKubernetes(selector: String, expected: Bool) throws {
        #expect(try Selector(parsing: selector).matches(Self.labels) == expected)
    }

    @Test(arguments: ["env=", "env"])
    func acceptsEmptyValuesAndExistence(selector: String) throws {
        _ = try Selector(parsing: selector)
    }

    @Test(arguments: ["env in ()", "env in (a", "=prod", "env=prod,", "env nope (a)", "!", "env=pro d", "bad key=1", "env=" + String(repeating: "x", count: 64)])
    func rejectsMalformed(selector: String) {
        #expect(throws: SelectorParseError.self) { _ = try Selector(parsing: selector) }
    }

    @Test func structuredSelectorsMatchTheSame() throws {
        let selector = LabelSelector(matchLabels: ["env": "prod"],
            matchExpressions: [LabelSelectorRequirement(key: "tier", operator: "In", values: ["edge", "far-edge"]),
                               LabelSelectorRequirement(key: "legacy", operator: "DoesNotExist")])
        #expect(selector.matches(Self.labels))
        #expect(!selector.matches(["env": "prod", "tier": "cloud"]))
        #expect(LabelSelector().matches([:]))
    }

    @Test func structuredSelectorValidationNamesTheField() {
        let selector = LabelSelector(matchExpressions: [LabelSelectorRequirement(key: "tier", operator: "Near", values: ["x"])])
        let errors = selector.validate(path: FieldPath("spec.selector"))
        #expect(errors.map(\.field.description) == ["spec.selector.matchExpressions[0].operator"])
        #expect(errors.first?.type == .notSupported)
    }

    @Test(arguments: [
        ("metadata.name=web", true), ("metadata.name==web", true), ("metadata.name!=web", false),
        ("metadata.name=web,metadata.namespace=games", true), ("status.phase=Running", false), ("", true),
    ])
    func fieldSelectorsMatch(selector: String, expected: Bool) throws {
        let fields = ["metadata.name": "web", "metadata.namespace": "games"]
        #expect(try FieldSelector(parsing: selector).matches(fields) == expected)
    }

    @Test(arguments: ["metadata.name", "=web", "a=b,,c=d", "metadata.name in (a)"])
    func fieldSelectorsRejectMalformed(selector: String) {
        #expect(throws: SelectorParseError.self) { _ = try FieldSelector(parsing: selector) }
    }

    @Test func fieldSelectorsUseThePerKindExtensionPoint() throws {
        let cluster: JSONValue = ["metadata": ["name": "edge-1"], "spec": ["region": "eu-west", "provider": "acme"]]
        let fields = Cluster.descriptor.selectableFieldValues(of: cluster)
        #expect(try FieldSelector(parsing: "spec.region=eu-west,metadata.name=edge-1").matches(fields))
        #expect(Cluster.descriptor.supportedFieldSelectors.contains("spec.provider"))
    }
}
