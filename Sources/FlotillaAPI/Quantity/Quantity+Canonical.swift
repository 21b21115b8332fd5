extension Quantity {
    /// The canonical text, as the Kubernetes API server prints it: no fractional digits, the largest suffix of the
    /// quantity's own family that keeps the value exact. `1.5Gi` → `1536Mi`, `1000m` → `1`, `0.5` → `500m`.
    /// Binary values below 1024 or with a fraction fall back to decimal SI (`0.5Ki` → `512`), as upstream does.
    public var canonical: String {
        if nanos == 0 { return "0" }
        let sign = nanos < 0 ? "-" : ""
        let magnitude = nanos.magnitude
        if format == .binarySI, magnitude % UInt128(Self.nanosPerUnit) == 0 {
            let units = magnitude / UInt128(Self.nanosPerUnit)
            if units >= 1024 {
                let suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                var value = units
                var step = 0
                while step < 6, value % 1024 == 0 {
                    value /= 1024
                    step += 1
                }
                return sign + String(value) + suffixes[step]
            }
        }
        // Decimal: the largest exponent (multiple of 3, from −9 up) at which the value is an integer.
        var value = magnitude
        var exponent = -9
        while exponent < 18, value % 1000 == 0 {
            value /= 1000
            exponent += 3
        }
        if format == .decimalExponent {
            return sign + String(value) + (exponent == 0 ? "" : "e\(exponent)")
        }
        let suffix: String
        switch exponent {
        case -9: suffix = "n"
        case -6: suffix = "u"
        case -3: suffix = "m"
        case 0: suffix = ""
        case 3: suffix = "k"
        case 6: suffix = "M"
        case 9: suffix = "G"
        case 12: suffix = "T"
        case 15: suffix = "P"
        default: suffix = "E"
        }
        return sign + String(value) + suffix
    }
}
