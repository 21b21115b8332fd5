import Foundation

/// Path loss (dB) by 3GPP TR 38.901 (UMa, UMi street canyon) and the IEEE 802.11ax (TGax) indoor model.
/// Distances in metres, carrier frequency in GHz; formulas as in docs/access-network-simulator.md.
extension PropagationModel {
    static let speedOfLight = 299_792_458.0

    /// Median path loss for a LOS or NLOS link.
    @inline(__always)
    public func pathLoss(d2D: Double, baseHeight hBS: Double, ueHeight hUT: Double, frequencyGHz fc: Double, los: Bool) -> Double {
        let d2 = max(d2D, 1.0)
        let dh = hBS - hUT
        let d3D = (d2 * d2 + dh * dh).squareRoot()
        let logD = log10(d3D), logF = log10(fc)
        switch self {
        case .uma:
            let breakpoint = 4 * (hBS - 1) * (hUT - 1) * fc * 1e9 / Self.speedOfLight
            let lineOfSight = d2 <= breakpoint
                ? 28.0 + 22 * logD + 20 * logF
                : 28.0 + 40 * logD + 20 * logF - 9 * log10(breakpoint * breakpoint + dh * dh)
            if los { return lineOfSight }
            return max(lineOfSight, 13.54 + 39.08 * logD + 20 * logF - 0.6 * (hUT - 1.5))
        case .umi:
            let breakpoint = 4 * (hBS - 1) * (hUT - 1) * fc * 1e9 / Self.speedOfLight
            let lineOfSight = d2 <= breakpoint
                ? 32.4 + 21 * logD + 20 * logF
                : 32.4 + 40 * logD + 20 * logF - 9.5 * log10(breakpoint * breakpoint + dh * dh)
            if los { return lineOfSight }
            return max(lineOfSight, 35.3 * logD + 22.4 + 21.3 * logF - 0.3 * (hUT - 1.5))
        case .indoorWiFi:
            let breakpoint = Self.wifiBreakpoint
            let near = 40.05 + 20 * log10(fc / 2.4) + 20 * log10(min(d3D, breakpoint))
            return d3D > breakpoint ? near + 35 * log10(d3D / breakpoint) : near
        }
    }

    /// TGax enterprise breakpoint distance (m).
    public static let wifiBreakpoint = 10.0

    /// Probability that the link is line of sight (UE at most 13 m high for UMa).
    @inline(__always)
    public func losProbability(d2D: Double) -> Double {
        switch self {
        case .uma:
            if d2D <= 18 { return 1 }
            return 18 / d2D + exp(-d2D / 63) * (1 - 18 / d2D)
        case .umi:
            if d2D <= 18 { return 1 }
            return 18 / d2D + exp(-d2D / 36) * (1 - 18 / d2D)
        case .indoorWiFi:
            // TGax has no LOS split: the breakpoint model covers both.
            return 1
        }
    }

    /// Log-normal shadowing standard deviation (dB).
    public func shadowSigma(los: Bool, d3D: Double = 0) -> Double {
        switch self {
        case .uma: return los ? 4 : 6
        case .umi: return los ? 4 : 7.82
        case .indoorWiFi: return d3D > Self.wifiBreakpoint ? 5 : 3
        }
    }

    /// Shadowing decorrelation distance (m), TR 38.901 table 7.5-6 (InH for WiFi).
    public func shadowDecorrelation(los: Bool) -> Double {
        switch self {
        case .uma: return los ? 37 : 50
        case .umi: return los ? 10 : 13
        case .indoorWiFi: return los ? 10 : 6
        }
    }

    /// LOS-state correlation distance (m), TR 38.901 table 7.6.3.1-2.
    public var losDecorrelation: Double {
        switch self {
        case .uma, .umi: return 50
        case .indoorWiFi: return 10
        }
    }
}
