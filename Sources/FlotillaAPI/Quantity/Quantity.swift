/// A Kubernetes resource quantity (`500m`, `1Gi`, `2`, `1.5`, `100Mi`, `1e3`), held exactly.
///
/// The value is stored as an integer count of nano-units (`value × 10⁹`), so sums and comparisons of CPU and memory
/// are exact; a value finer than one nano-unit is rounded up to it, as the Kubernetes API server does. The suffix
/// family of the text it was parsed from is kept so that printing stays in that family (see `canonical`).
public struct Quantity: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Format: Sendable, Hashable {
        case decimalSI       // m, k, M, G, T, P, E, or none
        case binarySI        // Ki, Mi, Gi, Ti, Pi, Ei
        case decimalExponent // e3, E-2
    }

    /// The value × 10⁹.
    public private(set) var nanos: Int128
    public var format: Format

    public init(nanos: Int128, format: Format = .decimalSI) {
        self.nanos = nanos
        self.format = format
    }

    public init(_ integer: Int64, format: Format = .decimalSI) {
        self.nanos = Int128(integer) * Self.nanosPerUnit
        self.format = format
    }

    public init(milli: Int64) {
        self.nanos = Int128(milli) * 1_000_000
        self.format = .decimalSI
    }

    static let nanosPerUnit: Int128 = 1_000_000_000

    public static let zero = Quantity(nanos: 0)

    public var isZero: Bool { nanos == 0 }
    public var sign: Int { nanos > 0 ? 1 : (nanos < 0 ? -1 : 0) }

    /// Whole units, rounded up (away from zero) like Kubernetes' `Value()`.
    public var value: Int64 { Self.clamp(Self.divideRoundingUp(nanos, by: Self.nanosPerUnit)) }

    /// Milli-units, rounded up like Kubernetes' `MilliValue()`.
    public var milliValue: Int64 { Self.clamp(Self.divideRoundingUp(nanos, by: 1_000_000)) }

    public var doubleValue: Double { Double(nanos) / 1e9 }

    static func divideRoundingUp(_ value: Int128, by divisor: Int128) -> Int128 {
        let (q, r) = value.quotientAndRemainder(dividingBy: divisor)
        if r == 0 { return q }
        return value > 0 ? q + 1 : q - 1
    }

    static func clamp(_ v: Int128) -> Int64 {
        v > Int128(Int64.max) ? .max : (v < Int128(Int64.min) ? .min : Int64(v))
    }

    public static func < (lhs: Quantity, rhs: Quantity) -> Bool { lhs.nanos < rhs.nanos }

    /// Equal when the values are equal, whatever the suffix (`1Gi == 1024Mi`, `1 == 1000m`).
    public static func == (lhs: Quantity, rhs: Quantity) -> Bool { lhs.nanos == rhs.nanos }
    public func hash(into hasher: inout Hasher) { hasher.combine(nanos) }

    public static func + (lhs: Quantity, rhs: Quantity) -> Quantity {
        Quantity(nanos: lhs.nanos + rhs.nanos, format: lhs.isZero ? rhs.format : lhs.format)
    }

    public static func - (lhs: Quantity, rhs: Quantity) -> Quantity {
        Quantity(nanos: lhs.nanos - rhs.nanos, format: lhs.isZero ? rhs.format : lhs.format)
    }

    public static func * (lhs: Quantity, rhs: Int64) -> Quantity {
        Quantity(nanos: lhs.nanos * Int128(rhs), format: lhs.format)
    }

    public static func += (lhs: inout Quantity, rhs: Quantity) { lhs = lhs + rhs }
    public static func -= (lhs: inout Quantity, rhs: Quantity) { lhs = lhs - rhs }

    /// How many whole `other`s fit in `self` (floor); `nil` when `other` is zero or negative.
    public func whole(_ other: Quantity) -> Int64? {
        guard other.nanos > 0 else { return nil }
        if nanos <= 0 { return 0 }
        return Self.clamp(nanos / other.nanos)
    }

    public var description: String { canonical }
}

extension Quantity: Codable {
    /// Accepts a string, or a JSON number as Kubernetes does.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            do {
                self = try Quantity(parsing: text)
            } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
            }
            return
        }
        if let integer = try? container.decode(Int64.self) {
            self = Quantity(integer)
            return
        }
        if let double = try? container.decode(Double.self), double.isFinite {
            self = try Quantity(parsing: "\(double)")
            return
        }
        throw DecodingError.typeMismatch(String.self, .init(
            codingPath: decoder.codingPath, debugDescription: "a quantity must be a string or a number"))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(canonical)
    }
}

/// The same inputs as `init(from:)`: a string in quantity syntax, or a JSON number.
extension Quantity: FastJSONCodable {
    public init(fastJSON value: JSONValue) throws {
        switch value {
        case .string(let text): self = try Quantity(parsing: text)
        case .integer(let integer): self = Quantity(integer)
        case .double(let double):
            guard double.isFinite else { throw FastJSONMiss() }
            if let integer = value.int64Value { self = Quantity(integer) } else { self = try Quantity(parsing: "\(double)") }
        default: throw FastJSONMiss()
        }
    }
    public var fastJSON: JSONValue { .string(canonical) }
}
