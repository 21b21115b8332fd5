import FlotillaAPI

/// One column of a server-side Table: its definition and how to compute its cell from an object.
struct TableColumn: Sendable {
    var name: String
    var type: String = "string"
    var format: String = ""
    var description: String
    /// 0 = always shown; 1 = `-o wide` only.
    var priority: Int = 0
    var cell: @Sendable (_ object: JSONValue, _ now: Timestamp) -> JSONValue

    var definition: JSONValue {
        ["name": .string(name), "type": .string(type), "format": .string(format), "description": .string(description),
         "priority": .integer(Int64(priority))]
    }

    static let name = TableColumn(name: "Name", format: "name", description: "Name must be unique within a namespace.") { object, _ in
        .string(object.name ?? "")
    }

    static let age = TableColumn(name: "Age", description: "Time since the object was created.") { object, now in
        guard let text = object["metadata"]?["creationTimestamp"]?.stringValue, let created = Timestamp(rfc3339: text) else {
            return "<unknown>"
        }
        return .string(HumanDuration.format(seconds: now.seconds - created.seconds))
    }

    static func path(_ name: String, _ path: [String], description: String, priority: Int = 0, type: String = "string",
                     fallback: JSONValue = "") -> TableColumn {
        TableColumn(name: name, type: type, description: description, priority: priority) { object, _ in
            object.value(at: path) ?? fallback
        }
    }

    /// `True`/`False`/`Unknown` of a condition type in `status.conditions`.
    static func condition(_ name: String, type: String, description: String) -> TableColumn {
        TableColumn(name: name, description: description) { object, _ in
            let conditions = object["status"]?["conditions"]?.arrayValue ?? []
            return conditions.first { $0["type"]?.stringValue == type }?["status"] ?? ""
        }
    }
}
