import FlotillaAPI

/// Turns objects into a `meta.k8s.io/v1` Table, the form `kubectl get` asks for.
struct TableConverter {
    let descriptor: ResourceDescriptor

    func table(_ objects: [JSONValue], now: Timestamp, includeObject: String, resourceVersion: String?, continueToken: String?)
        -> JSONValue
    {
        let columns = descriptor.printerColumns.map(TableColumns.printerColumns) ?? TableColumns.columns(for: descriptor.groupResource)
        var metadata: JSONObject = [:]
        if let resourceVersion { metadata["resourceVersion"] = .string(resourceVersion) }
        if let continueToken { metadata["continue"] = .string(continueToken) }
        let rows: [JSONValue] = objects.map { object in
            var row: JSONObject = ["cells": .array(columns.map { $0.cell(object, now) })]
            switch includeObject {
            case "None": break
            case "Object": row["object"] = object
            default:
                row["object"] = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                 "metadata": object["metadata"] ?? .object([:])]
            }
            return .object(row)
        }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .object(metadata),
                "columnDefinitions": .array(columns.map(\.definition)), "rows": .array(rows)]
    }
}
