/// core/v1 ConfigMap.
@FastJSON
public struct ConfigMap: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: String]?
    public var binaryData: [String: String]?
    public var immutable: Bool?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, data: [String: String]? = nil) {
        self.metadata = metadata
        self.data = data
    }

    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", shortNames: ["cm"], namespaced: true,
        builtin: true, admit: ConfigMap.admit, unknownFields: ConfigMap.unknownFieldPaths)

    public func validate() -> [FieldError] {
        var errors = validateDataKeys(Array((data ?? [:]).keys), path: FieldPath("data"))
        errors += validateDataKeys(Array((binaryData ?? [:]).keys), path: FieldPath("binaryData"))
        for key in Set((data ?? [:]).keys).intersection((binaryData ?? [:]).keys).sorted() {
            errors.append(.invalid(FieldPath("data"), key, "duplicate of key present in binaryData"))
        }
        let size = (data ?? [:]).reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
            + (binaryData ?? [:]).reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count * 3 / 4 }
        if size > 1_048_576 { errors.append(FieldError(.tooLong, FieldPath(""), "ConfigMap data must be at most 1048576 bytes")) }
        return errors
    }
}

/// Keys of ConfigMap and Secret data: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`.
func validateDataKeys(_ keys: [String], path: FieldPath) -> [FieldError] {
    var errors: [FieldError] = []
    for key in keys.sorted() {
        let ok = !key.isEmpty && key.utf8.count <= 253 && key != "." && key != ".."
            && key.utf8.allSatisfy { NameValidation.isAlnum($0) || $0 == 45 || $0 == 46 || $0 == 95 }
        if !ok {
            errors.append(.invalid(path, key,
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"))
        }
    }
    return errors
}
