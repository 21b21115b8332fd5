/// Which name rule a kind uses for `metadata.name`.
public enum NameRule: String, Sendable, Hashable {
    case dns1123Subdomain
    case dns1123Label
    case dns1035Label
    /// Any name that is a valid URL path segment (RBAC kinds: `system:aggregate-to-view`).
    case pathSegment

    public func problems(_ name: String) -> [String] {
        let shape: [String]
        switch self {
        case .pathSegment: shape = []
        case .dns1123Subdomain: shape = NameValidation.dns1123Subdomain(name)
        case .dns1123Label: shape = NameValidation.dns1123Label(name)
        case .dns1035Label: shape = NameValidation.dns1035Label(name)
        }
        return NameValidation.pathSegmentName(name) + shape
    }
}

extension ObjectMeta {
    /// Checks name, namespace presence, labels and annotations. `namespaced` says whether the kind lives in a namespace.
    public func validate(nameRule: NameRule, namespaced: Bool, path: FieldPath = FieldPath("metadata")) -> [FieldError] {
        var errors: [FieldError] = []
        if let name, !name.isEmpty {
            for problem in nameRule.problems(name) { errors.append(.invalid(path.child("name"), name, problem)) }
        } else if generateName?.isEmpty ?? true {
            errors.append(.required(path.child("name"), "name or generateName is required"))
        }
        if let generateName, !generateName.isEmpty {
            // generateName gets five characters appended, so only its prefix shape can be checked.
            let probe = generateName.hasSuffix("-") || generateName.hasSuffix(".") ? generateName + "x" : generateName
            for problem in nameRule.problems(probe) where !problem.contains("no more than") {
                errors.append(.invalid(path.child("generateName"), generateName, problem))
            }
        }
        if namespaced {
            if let namespace, !namespace.isEmpty {
                for problem in NameValidation.dns1123Label(namespace) {
                    errors.append(.invalid(path.child("namespace"), namespace, problem))
                }
            }
        } else if let namespace, !namespace.isEmpty {
            errors.append(.forbidden(path.child("namespace"), "not allowed on this type"))
        }
        errors.append(contentsOf: validateLabels(labels ?? [:], path: path.child("labels")))
        var annotationBytes = 0
        for (key, value) in annotations ?? [:] {
            for problem in NameValidation.qualifiedName(key) {
                errors.append(.invalid(path.child("annotations"), key, problem))
            }
            annotationBytes += key.utf8.count + value.utf8.count
        }
        if annotationBytes > 256 * 1024 {
            errors.append(FieldError(.tooLong, path.child("annotations"), "must have at most 262144 bytes"))
        }
        for (offset, finalizer) in (finalizers ?? []).enumerated() {
            for problem in NameValidation.qualifiedName(finalizer) {
                errors.append(.invalid(path.child("finalizers").index(offset), finalizer, problem))
            }
        }
        return errors
    }
}

/// Label keys and values, each error at `metadata.labels` with the offending key or value.
public func validateLabels(_ labels: [String: String], path: FieldPath) -> [FieldError] {
    var errors: [FieldError] = []
    for key in labels.keys.sorted() {
        for problem in NameValidation.qualifiedName(key) { errors.append(.invalid(path, key, problem)) }
        for problem in NameValidation.labelValue(labels[key]!) { errors.append(.invalid(path, labels[key]!, problem)) }
    }
    return errors
}
