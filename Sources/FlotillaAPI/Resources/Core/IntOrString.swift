/// A value that is either an integer or a string (`targetPort: 8080` or `targetPort: http`).
public enum IntOrString: Sendable, Hashable, Codable, CustomStringConvertible {
    case int(Int64)
    case string(String)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let i = try? container.decode(Int64.self) {
            self = .int(i)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let i): try container.encode(i)
        case .string(let s): try container.encode(s)
        }
    }

    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .string(let s): return s
        }
    }
}

/// An integer (or a number with no fraction) first, then a string, as `init(from:)`.
extension IntOrString: FastJSONCodable {
    public init(fastJSON value: JSONValue) throws {
        if let i = value.int64Value {
            self = .int(i)
        } else if case .string(let s) = value {
            self = .string(s)
        } else {
            throw FastJSONMiss()
        }
    }
    public var fastJSON: JSONValue {
        switch self {
        case .int(let i): return .integer(i)
        case .string(let s): return .string(s)
        }
    }
}
