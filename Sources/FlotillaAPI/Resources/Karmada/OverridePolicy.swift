/// policy.karmada.io/v1alpha1 OverridePolicy: per-cluster changes to templates in its namespace.
@FastJSON
public struct OverridePolicy: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: OverrideSpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: OverrideSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "policy.karmada.io", version: "v1alpha1", kind: "OverridePolicy", plural: "overridepolicies",
        shortNames: ["op"], categories: ["karmada-io"], namespaced: true, admit: OverridePolicy.admit, unknownFields: OverridePolicy.unknownFieldPaths)

    public func validate() -> [FieldError] { spec.validate(path: FieldPath("spec")) }
}

/// policy.karmada.io/v1alpha1 ClusterOverridePolicy: the cluster-scoped form.
@FastJSON
public struct ClusterOverridePolicy: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: OverrideSpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: OverrideSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "policy.karmada.io", version: "v1alpha1", kind: "ClusterOverridePolicy", plural: "clusteroverridepolicies",
        shortNames: ["cop"], categories: ["karmada-io"], namespaced: false, admit: ClusterOverridePolicy.admit, unknownFields: ClusterOverridePolicy.unknownFieldPaths)

    public func validate() -> [FieldError] { spec.validate(path: FieldPath("spec")) }
}

@FastJSON
public struct OverrideSpec: Sendable, Hashable, Codable {
    public var resourceSelectors: [ResourceSelector]?
    public var overrideRules: [RuleWithCluster]?
    /// Deprecated single-rule form, still accepted by Karmada.
    public var targetCluster: ClusterAffinity?
    public var overriders: Overriders?
    public var unknownFields = UnknownFields()

    public init(resourceSelectors: [ResourceSelector]?, overrideRules: [RuleWithCluster]?) {
        self.resourceSelectors = resourceSelectors
        self.overrideRules = overrideRules
    }

    /// The rules in effect: `overrideRules`, or the legacy `targetCluster` + `overriders` pair as one rule.
    public var effectiveRules: [RuleWithCluster] {
        if let overrideRules, !overrideRules.isEmpty { return overrideRules }
        if let overriders { return [RuleWithCluster(targetCluster: targetCluster, overriders: overriders)] }
        return []
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (offset, selector) in (resourceSelectors ?? []).enumerated() {
            errors += selector.validate(path: path.child("resourceSelectors").index(offset))
        }
        if overrideRules != nil, overriders != nil || targetCluster != nil {
            errors.append(.invalid(path, "overrideRules", "overrideRules and (overriders or targetCluster) can't co-exist"))
        }
        for (offset, rule) in (overrideRules ?? []).enumerated() {
            let at = path.child("overrideRules").index(offset)
            errors += rule.targetCluster?.validate(path: at.child("targetCluster")) ?? []
            errors += rule.overriders.validate(path: at.child("overriders"))
        }
        errors += overriders?.validate(path: path.child("overriders")) ?? []
        return errors
    }
}

@FastJSON
public struct RuleWithCluster: Sendable, Hashable, Codable {
    public var targetCluster: ClusterAffinity?
    public var overriders: Overriders

    public init(targetCluster: ClusterAffinity?, overriders: Overriders) {
        self.targetCluster = targetCluster
        self.overriders = overriders
    }
}

@FastJSON
public struct Overriders: Sendable, Hashable, Codable {
    public var plaintext: [PlaintextOverrider]?
    public var imageOverrider: [ImageOverrider]?
    public var commandOverrider: [CommandArgsOverrider]?
    public var argsOverrider: [CommandArgsOverrider]?
    public var labelsOverrider: [LabelAnnotationOverrider]?
    public var annotationsOverrider: [LabelAnnotationOverrider]?
    public var fieldOverrider: [FieldOverrider]?
    public var unknownFields = UnknownFields()

    public init(plaintext: [PlaintextOverrider]? = nil, imageOverrider: [ImageOverrider]? = nil,
                commandOverrider: [CommandArgsOverrider]? = nil, argsOverrider: [CommandArgsOverrider]? = nil,
                labelsOverrider: [LabelAnnotationOverrider]? = nil, annotationsOverrider: [LabelAnnotationOverrider]? = nil,
                fieldOverrider: [FieldOverrider]? = nil) {
        self.fieldOverrider = fieldOverrider
        self.plaintext = plaintext
        self.imageOverrider = imageOverrider
        self.commandOverrider = commandOverrider
        self.argsOverrider = argsOverrider
        self.labelsOverrider = labelsOverrider
        self.annotationsOverrider = annotationsOverrider
    }

    static let operators = ["add", "remove", "replace"]

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (offset, item) in (plaintext ?? []).enumerated() {
            let at = path.child("plaintext").index(offset)
            if !item.path.hasPrefix("/") { errors.append(.invalid(at.child("path"), item.path, "must be a JSON pointer starting with '/'")) }
            if !Self.operators.contains(item.operator) { errors.append(.notSupported(at.child("operator"), item.operator, supported: Self.operators)) }
            if item.operator != "remove", item.value == nil { errors.append(.required(at.child("value"), "value is required for add and replace")) }
        }
        for (offset, item) in (imageOverrider ?? []).enumerated() {
            let at = path.child("imageOverrider").index(offset)
            let components = ["Registry", "Repository", "Tag"]
            if !components.contains(item.component) { errors.append(.notSupported(at.child("component"), item.component, supported: components)) }
            if !Self.operators.contains(item.operator) { errors.append(.notSupported(at.child("operator"), item.operator, supported: Self.operators)) }
            if let p = item.predicate?.path, !p.hasPrefix("/") { errors.append(.invalid(at.child("predicate").child("path"), p, "must start with '/'")) }
        }
        for (name, list) in [("commandOverrider", commandOverrider), ("argsOverrider", argsOverrider)] {
            for (offset, item) in (list ?? []).enumerated() {
                let at = path.child(name).index(offset)
                if item.containerName.isEmpty { errors.append(.required(at.child("containerName"))) }
                if !["add", "remove"].contains(item.operator) { errors.append(.notSupported(at.child("operator"), item.operator, supported: ["add", "remove"])) }
            }
        }
        for (offset, item) in (fieldOverrider ?? []).enumerated() {
            let at = path.child("fieldOverrider").index(offset)
            if !item.fieldPath.hasPrefix("/") { errors.append(.invalid(at.child("fieldPath"), item.fieldPath, "must be a JSON pointer starting with '/'")) }
            if (item.json ?? []).isEmpty == (item.yaml ?? []).isEmpty {
                errors.append(.required(at, "exactly one of json and yaml"))
            }
            for (format, operations) in [("json", item.json), ("yaml", item.yaml)] {
                for (index, operation) in (operations ?? []).enumerated() {
                    let op = at.child(format).index(index)
                    if !operation.subPath.hasPrefix("/") { errors.append(.invalid(op.child("subPath"), operation.subPath, "must be a JSON pointer starting with '/'")) }
                    if !Self.operators.contains(operation.operator) { errors.append(.notSupported(op.child("operator"), operation.operator, supported: Self.operators)) }
                    if operation.operator != "remove", operation.value == nil { errors.append(.required(op.child("value"), "value is required for add and replace")) }
                }
            }
        }
        for (name, list) in [("labelsOverrider", labelsOverrider), ("annotationsOverrider", annotationsOverrider)] {
            for (offset, item) in (list ?? []).enumerated() {
                let at = path.child(name).index(offset)
                if !Self.operators.contains(item.operator) { errors.append(.notSupported(at.child("operator"), item.operator, supported: Self.operators)) }
                if name == "labelsOverrider", item.operator != "remove" {
                    errors += validateLabels(item.value ?? [:], path: at.child("value"))
                }
            }
        }
        return errors
    }
}

/// Karmada's FieldOverrider: patches a JSON or YAML document embedded in a string field (a ConfigMap's
/// `data/config.yaml`, say) — `fieldPath` points at the string, each operation's `subPath` into the document.
@FastJSON
public struct FieldOverrider: Sendable, Hashable, Codable {
    public var fieldPath: String
    public var json: [EmbeddedOperation]?
    public var yaml: [EmbeddedOperation]?
    public var unknownFields = UnknownFields()

    public init(fieldPath: String, json: [EmbeddedOperation]? = nil, yaml: [EmbeddedOperation]? = nil) {
        self.fieldPath = fieldPath
        self.json = json
        self.yaml = yaml
    }
}

@FastJSON
public struct EmbeddedOperation: Sendable, Hashable, Codable {
    public var subPath: String
    public var `operator`: String
    public var value: JSONValue?
    public var unknownFields = UnknownFields()

    public init(subPath: String, operator: String, value: JSONValue? = nil) {
        self.subPath = subPath
        self.operator = `operator`
        self.value = value
    }
}

@FastJSON
public struct PlaintextOverrider: Sendable, Hashable, Codable {
    public var path: String
    public var `operator`: String
    public var value: JSONValue?

    public init(path: String, operator: String, value: JSONValue? = nil) {
        self.path = path
        self.operator = `operator`
        self.value = value
    }
}

@FastJSON
public struct ImageOverrider: Sendable, Hashable, Codable {
    public var predicate: ImagePredicate?
    public var component: String
    public var `operator`: String
    public var value: String?

    public init(predicate: ImagePredicate? = nil, component: String, operator: String, value: String? = nil) {
        self.predicate = predicate
        self.component = component
        self.operator = `operator`
        self.value = value
    }
}

@FastJSON
public struct ImagePredicate: Sendable, Hashable, Codable {
    public var path: String
}

@FastJSON
public struct CommandArgsOverrider: Sendable, Hashable, Codable {
    public var containerName: String
    public var `operator`: String
    public var value: [String]?

    public init(containerName: String, operator: String, value: [String]?) {
        self.containerName = containerName
        self.operator = `operator`
        self.value = value
    }
}

@FastJSON
public struct LabelAnnotationOverrider: Sendable, Hashable, Codable {
    public var `operator`: String
    public var value: [String: String]?

    public init(operator: String, value: [String: String]?) {
        self.operator = `operator`
        self.value = value
    }
}
