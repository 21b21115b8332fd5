/// Why a quantity string was rejected.
public struct QuantityParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var input: String
    public var reason: String
    public var description: String { "quantity \"\(input)\" is invalid: \(reason)" }
}

extension Quantity {
    /// Parses `<sign><digits>[.<digits>]<suffix>` where the suffix is a binary SI (`Ki`…`Ei`), decimal SI
    /// (`n`, `u`, `m`, ``, `k`, `M`, `G`, `T`, `P`, `E`) or exponent (`e3`, `E-2`) suffix.
    public init(parsing text: String) throws(QuantityParseError) {
        func fail(_ reason: String) -> QuantityParseError { QuantityParseError(input: text, reason: reason) }
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw fail("must not be empty") }
        var index = 0
        var negative = false
        if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        // Digits before and after the point form one integer mantissa with `fractionDigits` implied decimals.
        var mantissa: Int128 = 0
        var fractionDigits = 0
        var digitCount = 0
        var seenPoint = false
        while index < bytes.count {
            let b = bytes[index]
            if b >= 48 && b <= 57 {
                guard digitCount < 36 else { throw fail("too many digits") }
                mantissa = mantissa * 10 + Int128(b - 48)
                if seenPoint { fractionDigits += 1 }
                if mantissa != 0 || seenPoint { digitCount += 1 }
                index += 1
            } else if b == UInt8(ascii: "."), !seenPoint {
                seenPoint = true
                index += 1
            } else {
                break
            }
        }
        let numberEnd = index
        let hasDigits = bytes[..<numberEnd].contains { $0 >= 48 && $0 <= 57 }
        guard hasDigits else { throw fail("must start with a number") }

        let suffix = String(decoding: bytes[numberEnd...], as: UTF8.self)
        var format = Format.decimalSI
        // value = mantissa × 10^(exp10 − fractionDigits) × 2^exp2
        var exp10 = 0
        var exp2 = 0
        switch suffix {
        case "": break
        case "n": exp10 = -9
        case "u": exp10 = -6
        case "m": exp10 = -3
        case "k": exp10 = 3
        case "M": exp10 = 6
        case "G": exp10 = 9
        case "T": exp10 = 12
        case "P": exp10 = 15
        case "E": exp10 = 18
        case "Ki": exp2 = 10; format = .binarySI
        case "Mi": exp2 = 20; format = .binarySI
        case "Gi": exp2 = 30; format = .binarySI
        case "Ti": exp2 = 40; format = .binarySI
        case "Pi": exp2 = 50; format = .binarySI
        case "Ei": exp2 = 60; format = .binarySI
        default:
            guard let first = suffix.first, first == "e" || first == "E", let exponent = Int(suffix.dropFirst())
            else { throw fail("unknown suffix \"\(suffix)\"; use one of n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent like e3") }
            guard abs(exponent) <= 30 else { throw fail("exponent out of range") }
            exp10 = exponent
            format = .decimalExponent
        }

        // Scale to nanos: multiply by 10^(9 + exp10 − fractionDigits) and 2^exp2, rounding a remainder up.
        let scale = 9 + exp10 - fractionDigits
        var nanos = mantissa
        let limit = Int128.max / 4
        if exp2 > 0 {
            for _ in 0..<exp2 {
                guard nanos <= limit else { throw fail("value is too large") }
                nanos *= 2
            }
        }
        if scale >= 0 {
            for _ in 0..<scale {
                guard nanos <= limit / 10 else { throw fail("value is too large") }
                nanos *= 10
            }
        } else {
            var divisor: Int128 = 1
            for _ in 0 ..< -scale {
                guard divisor <= limit / 10 else { divisor = 0; break }
                divisor *= 10
            }
            if divisor == 0 {
                nanos = mantissa == 0 ? 0 : 1
            } else {
                nanos = Quantity.divideRoundingUp(nanos, by: divisor)
            }
        }
        self.init(nanos: negative ? -nanos : nanos, format: format)
    }
}
