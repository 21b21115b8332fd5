extension CustomResourceDefinition {
    /// One descriptor per served version, admitting objects the way kube-apiserver does for custom resources:
    /// metadata is checked, members the schema does not declare are pruned (and reported as unknown fields for
    /// `fieldValidation`), defaults are applied, and the version's schema is checked with field paths.
    public func servedDescriptors() -> [ResourceDescriptor] {
        guard let storage = storageVersion else { return [] }
        return spec.versions.filter(\.served).map { version in descriptor(for: version, storageVersion: storage) }
    }

    /// The descriptor clients use for the kind: the storage version's when it is served, else the first served one.
    public var preferredDescriptor: ResourceDescriptor? {
        guard let storage = storageVersion,
              let version = spec.versions.first(where: { $0.storage && $0.served }) ?? spec.versions.first(where: \.served) else { return nil }
        return descriptor(for: version, storageVersion: storage)
    }

    /// Whether the server that holds it serves its kind (`Established` is True).
    public var isEstablished: Bool { status?.conditions?.contains { $0.type == "Established" && $0.status == .true } ?? false }

    func descriptor(for version: Version, storageVersion: String) -> ResourceDescriptor {
        let names = spec.names
        let namespaced = isNamespaced
        let schema = JSONSchema(version.schema?.openAPIV3Schema ?? ["type": "object", "x-kubernetes-preserve-unknown-fields": true])
        let body = Self.bodySchema(schema.root)
        let nameSchema = schema.root["properties"]?["metadata"]?["properties"]?["name"]
        let selectable = (version.selectableFields ?? []).compactMap { field in
            StatusPath(field.jsonPath).map { (String(field.jsonPath.drop { $0 == "." }), $0) }
        }
        let deprecation: [String] = version.deprecated == true
            ? [version.deprecationWarning ?? "\(spec.group)/\(version.name) \(names.kind) is deprecated"] : []
        var descriptor = ResourceDescriptor(
            group: spec.group, version: version.name, kind: names.kind, plural: names.plural, shortNames: names.shortNames ?? [],
            categories: names.categories ?? [], namespaced: namespaced,
            subresources: Set((version.subresources?.status != nil ? ["status"] : []) + (version.subresources?.scale != nil ? ["scale"] : [])),
            selectableFields: selectable.map(\.0),
            fieldLabels: { object in
                var fields: [String: String] = [:]
                for (name, path) in selectable { fields[name] = path.read(object) ?? "" }
                return fields
            },
            admit: { value in Self.admitCustom(value, schema: schema, body: body, nameSchema: nameSchema, namespaced: namespaced) },
            unknownFields: { schema.prune($0).1 },
            warnings: { _ in deprecation })
        descriptor.singular = names.singular ?? names.kind.lowercased()
        descriptor.printerColumns = version.additionalPrinterColumns ?? []
        descriptor.scalePaths = version.subresources?.scale
        descriptor.definition = (metadata.name ?? "", storageVersion)
        return descriptor
    }

    /// The root schema without apiVersion, kind and metadata, which every object has and admission checks apart.
    static func bodySchema(_ root: JSONValue) -> JSONValue {
        var body = root
        let implicit: Set<String> = ["apiVersion", "kind", "metadata"]
        if var properties = body["properties"]?.objectValue {
            for key in implicit { properties[key] = nil }
            body["properties"] = .object(properties)
        }
        if let required = body["required"]?.arrayValue {
            body["required"] = .array(required.filter { !implicit.contains($0.stringValue ?? "") })
        }
        return body
    }

    static func admitCustom(_ value: JSONValue, schema: JSONSchema, body: JSONValue, nameSchema: JSONValue?, namespaced: Bool)
        -> Result<JSONValue, AdmissionFailure>
    {
        guard value.objectValue != nil else { return .failure(.malformed(DecodeError(path: "", message: "an object must be a JSON object"))) }
        let metadata: ObjectMeta
        do {
            metadata = try ObjectDecoder().decode(ObjectMeta.self, from: value["metadata"] ?? .object([:]))
        } catch {
            return .failure(.malformed(error))
        }
        var errors = metadata.validate(nameRule: .dns1123Subdomain, namespaced: namespaced)
        if let nameSchema, let name = metadata.name {
            errors += JSONSchema.check(.string(name), nameSchema, FieldPath("metadata.name"))
        }
        var object = schema.withStructuralDefaults(schema.prune(value).0)
        var checked = object
        for key in ["apiVersion", "kind", "metadata"] { checked[key] = nil }
        errors += JSONSchema.check(checked, body, FieldPath())
        if !errors.isEmpty { return .failure(.invalid(errors)) }
        do {
            object["metadata"] = try ObjectEncoder().encode(metadata)
        } catch {
            return .failure(.malformed(DecodeError(path: "metadata", message: error.message)))
        }
        return .success(object)
    }
}
