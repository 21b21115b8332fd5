import Foundation

/// core/v1 Secret. `stringData` is folded into base64 `data` on admission, as the API server does.
@FastJSON
public struct Secret: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: String]?
    public var stringData: [String: String]?
    public var type: String?
    public var immutable: Bool?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, data: [String: Data] = [:], type: String = "Opaque") {
        self.metadata = metadata
        self.data = data.mapValues { $0.base64EncodedString() }
        self.type = type
    }

    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true, builtin: true,
        selectableFields: ["type"], fieldLabels: { ["type": $0["type"]?.stringValue ?? ""] }, admit: Secret.admit, unknownFields: Secret.unknownFieldPaths)

    public mutating func setDefaults() {
        if type == nil { type = "Opaque" }
        if let stringData {
            var merged = data ?? [:]
            for (key, value) in stringData { merged[key] = Data(value.utf8).base64EncodedString() }
            data = merged
            self.stringData = nil
        }
    }

    /// The decoded value of one key.
    public func value(_ key: String) -> Data? { data?[key].flatMap { Data(base64Encoded: $0) } }

    public func validate() -> [FieldError] {
        var errors = validateDataKeys(Array((data ?? [:]).keys), path: FieldPath("data"))
        for (key, value) in data ?? [:] where Data(base64Encoded: value) == nil {
            errors.append(.invalid(FieldPath("data").key(key), "<secret contents redacted>", "must be base64-encoded"))
        }
        return errors
    }
}
