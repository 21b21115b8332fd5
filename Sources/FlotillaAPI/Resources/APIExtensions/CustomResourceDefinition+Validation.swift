extension CustomResourceDefinition {
    static let printerColumnTypes = ["integer", "number", "string", "boolean", "date"]
    static let printerColumnFormats = ["int32", "int64", "float", "double", "byte", "date", "date-time", "password"]

    /// Kubernetes' CRD validation: the name is `<plural>.<group>`, names are DNS labels, exactly one storage version,
    /// every version has a structural schema, scale paths and printer columns are well formed, conversion is `None`.
    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let at = FieldPath("spec")
        if metadata.name != "\(spec.names.plural).\(spec.group)" {
            errors.append(.invalid(FieldPath("metadata.name"), metadata.name ?? "", "must be spec.names.plural+\".\"+spec.group"))
        }
        if spec.group.isEmpty { errors.append(.required(at.child("group"))) }
        else if !spec.group.contains(".") { errors.append(.invalid(at.child("group"), spec.group, "should be a domain with at least one dot")) }
        else { for problem in NameValidation.dns1123Subdomain(spec.group) { errors.append(.invalid(at.child("group"), spec.group, problem)) } }
        errors += namesProblems(spec.names, at.child("names"))
        if !["Namespaced", "Cluster"].contains(spec.scope) {
            errors.append(.notSupported(at.child("scope"), spec.scope, supported: ["Cluster", "Namespaced"]))
        }
        if spec.preserveUnknownFields == true {
            errors.append(.invalid(at.child("preserveUnknownFields"), "true", "must be false in order to use defaults in the schema"))
        }
        if let conversion = spec.conversion, conversion.strategy != "None" {
            errors.append(.notSupported(at.child("conversion", "strategy"), conversion.strategy, supported: ["None"]))
        }
        if spec.versions.isEmpty { errors.append(.required(at.child("versions"), "must have exactly one version marked as storage version")) }
        if !spec.versions.isEmpty, spec.versions.filter(\.storage).count != 1 {
            errors.append(.invalid(at.child("versions"), "", "must have exactly one version marked as storage version"))
        }
        var seen = Set<String>()
        for (offset, version) in spec.versions.enumerated() {
            let path = at.child("versions").index(offset)
            if !seen.insert(version.name).inserted { errors.append(.duplicate(path.child("name"), version.name)) }
            for problem in NameValidation.dns1035Label(version.name) { errors.append(.invalid(path.child("name"), version.name, problem)) }
            errors += versionProblems(version, path)
        }
        return errors
    }

    /// Schema features accepted but not evaluated, and deprecated versions: each a `Warning`.
    public func warnings() -> [String] {
        spec.versions.enumerated().flatMap { offset, version in
            version.schema?.openAPIV3Schema.map {
                JSONSchema.structuralProblems(in: $0, at: FieldPath("spec").child("versions").index(offset).child("schema", "openAPIV3Schema")).warnings
            } ?? []
        }
    }

    func namesProblems(_ names: Names, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        for (field, value) in [("plural", names.plural), ("singular", names.singular ?? "")] {
            for problem in NameValidation.dns1035Label(value) { errors.append(.invalid(path.child(field), value, problem)) }
        }
        if names.kind.isEmpty { errors.append(.required(path.child("kind"))) }
        else {
            for problem in NameValidation.dns1035Label(names.kind.lowercased()) { errors.append(.invalid(path.child("kind"), names.kind, problem)) }
        }
        if let listKind = names.listKind, listKind == names.kind { errors.append(.invalid(path.child("listKind"), listKind, "kind and listKind must be different")) }
        for (offset, short) in (names.shortNames ?? []).enumerated() {
            for problem in NameValidation.dns1035Label(short) { errors.append(.invalid(path.child("shortNames").index(offset), short, problem)) }
        }
        return errors
    }

    func versionProblems(_ version: Version, _ path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if let schema = version.schema?.openAPIV3Schema {
            errors += JSONSchema.structuralProblems(in: schema, at: path.child("schema", "openAPIV3Schema")).errors
        } else {
            errors.append(.required(path.child("schema", "openAPIV3Schema"), "schemas are required"))
        }
        if let scale = version.subresources?.scale {
            let scalePath = path.child("subresources", "scale")
            for (field, value, prefixes) in [("specReplicasPath", scale.specReplicasPath, [".spec."]),
                                             ("statusReplicasPath", scale.statusReplicasPath, [".status."]),
                                             ("labelSelectorPath", scale.labelSelectorPath ?? ".status.x", [".spec.", ".status."])] {
                if StatusPath(value) == nil || !prefixes.contains(where: value.hasPrefix) || value.contains("[") {
                    errors.append(.invalid(scalePath.child(field), value, "should be a json path under \(prefixes.joined(separator: " or ")) without array indexes"))
                }
            }
        }
        var columnNames = Set<String>()
        for (offset, column) in (version.additionalPrinterColumns ?? []).enumerated() {
            let columnPath = path.child("additionalPrinterColumns").index(offset)
            if column.name.isEmpty { errors.append(.required(columnPath.child("name"))) }
            else if !columnNames.insert(column.name).inserted { errors.append(.duplicate(columnPath.child("name"), column.name)) }
            if !Self.printerColumnTypes.contains(column.type) {
                errors.append(.notSupported(columnPath.child("type"), column.type, supported: Self.printerColumnTypes))
            }
            if let format = column.format, !format.isEmpty, !Self.printerColumnFormats.contains(format) {
                errors.append(.notSupported(columnPath.child("format"), format, supported: Self.printerColumnFormats))
            }
            if (column.priority ?? 0) < 0 { errors.append(.invalid(columnPath.child("priority"), "\(column.priority!)", "must be greater than or equal to 0")) }
            if StatusPath(column.jsonPath) == nil {
                errors.append(.invalid(columnPath.child("jsonPath"), column.jsonPath,
                                       "must be a simple JSONPath (.field.sub[0].name); filters and wildcards are not supported"))
            }
        }
        for (offset, field) in (version.selectableFields ?? []).enumerated() where StatusPath(field.jsonPath) == nil || field.jsonPath.contains("[") {
            errors.append(.invalid(path.child("selectableFields").index(offset).child("jsonPath"), field.jsonPath,
                                   "must be a simple JSONPath to a field (.spec.color)"))
        }
        return errors
    }
}

extension CustomResourceDefinition {
    /// Rules a CRD update must keep: the scope never changes, and a version objects were stored at stays listed.
    public static func updateProblems(_ new: JSONValue, old: JSONValue) -> [FieldError] {
        guard let new = try? CustomResourceDefinition(json: new), let old = try? CustomResourceDefinition(json: old) else { return [] }
        var errors: [FieldError] = []
        if new.spec.scope != old.spec.scope { errors.append(.invalid(FieldPath("spec.scope"), new.spec.scope, "field is immutable")) }
        let listed = Set(new.spec.versions.map(\.name))
        for version in old.status?.storedVersions ?? [] where !listed.contains(version) {
            errors.append(.invalid(FieldPath("status.storedVersions"), version, "must appear in spec.versions"))
        }
        return errors
    }
}

extension FieldPath {
    /// Several keys at once: `path.child("spec", "replicas")`.
    public func child(_ first: String, _ rest: String...) -> FieldPath {
        rest.reduce(child(first)) { $0.child($1) }
    }
}
