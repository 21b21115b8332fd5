/// Seeded randomness. Everything random in the simulator comes from here, so one seed gives one run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    @inline(__always) public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Hash64.mix(state)
    }

    /// Uniform in [0, 1).
    @inline(__always) public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    @inline(__always) public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }
}

/// Stateless hashing of a few integers into uniform or roughly normal values: what makes shadowing and LOS a
/// property of the place (the same spot always gets the same value) rather than of the moment.
public enum Hash64 {
    @inline(__always) public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) public static func combine(_ seed: UInt64, _ a: Int, _ b: Int, _ c: Int) -> UInt64 {
        var h = mix(seed ^ 0x5851_F42D_4C95_7F2D)
        h = mix(h ^ UInt64(bitPattern: Int64(a)))
        h = mix(h ^ UInt64(bitPattern: Int64(b)) &* 0x9E37_79B9_7F4A_7C15)
        return mix(h ^ UInt64(bitPattern: Int64(c)) &* 0xC2B2_AE3D_27D4_EB4F)
    }

    /// Uniform in [0, 1).
    @inline(__always) public static func unit(_ hash: UInt64) -> Double { Double(hash >> 11) * 0x1.0p-53 }

    /// Standard normal, approximated by the sum of four uniforms (Irwin–Hall, rescaled): mean 0, variance 1,
    /// bounded at ±3.46 — cheap enough for every UE–cell pair every step, and no wild outliers.
    @inline(__always) public static func normal(_ hash: UInt64) -> Double {
        let a = Double(hash & 0xFFFF), b = Double((hash >> 16) & 0xFFFF)
        let c = Double((hash >> 32) & 0xFFFF), d = Double(hash >> 48)
        return ((a + b + c + d) / 65536.0 - 2.0) * 1.7320508075688772
    }
}
