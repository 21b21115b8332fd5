import Foundation

/// One cell's radio constants, folded so that a measurement costs one square root, one logarithm, at most one
/// exponential and a few hashes: the TR 38.901 / TGax formulas of `PropagationModel.pathLoss` with every term that
/// does not depend on distance computed once. Plain data, so the engine reads it from contiguous memory.
public struct CellRadio: Sendable {
    let number: Int
    let x: Double
    let y: Double
    let model: PropagationModel
    let operatorIndex: Int
    let ratOrdinal: Int
    let channel: Int
    let threshold: Double
    /// Transmit power per measured unit (resource element, or the WiFi channel), dBm.
    let power: Double
    let noiseMilliwatts: Double
    let heightDifferenceSquared: Double
    let breakpointSquared: Double
    /// Path loss = intercept + slope × log10(d3D), per regime.
    let losNearIntercept: Double
    let losNearSlope: Double
    let losFarIntercept: Double
    let nlosIntercept: Double
    let nlosSlope: Double
    /// WiFi: log10 of the breakpoint distance.
    let logBreakpoint: Double
    let losDistanceScale: Double
    let inverseLOSSquare: Double
    let sigmaLOS: Double
    let sigmaNLOS: Double
    let inverseShadowLOS: Double
    let inverseShadowNLOS: Double

    init(_ cell: CompiledCell, ueHeight hUT: Double) {
        number = cell.number
        x = cell.position.x
        y = cell.position.y
        model = cell.model
        operatorIndex = cell.operatorIndex
        ratOrdinal = cell.ratOrdinal
        channel = cell.channel
        threshold = cell.threshold
        power = cell.txPowerDbm - cell.perElementOffset
        noiseMilliwatts = cell.noiseMilliwatts
        let hBS = cell.antennaHeight, fc = cell.frequencyGHz
        let dh = hBS - hUT
        heightDifferenceSquared = dh * dh
        let breakpoint = 4 * (hBS - 1) * (hUT - 1) * fc * 1e9 / PropagationModel.speedOfLight
        breakpointSquared = breakpoint * breakpoint
        let logF = log10(fc)
        switch cell.model {
        case .uma:
            losNearIntercept = 28 + 20 * logF
            losNearSlope = 22
            losFarIntercept = 28 + 20 * logF - 9 * log10(breakpoint * breakpoint + dh * dh)
            nlosIntercept = 13.54 + 20 * logF - 0.6 * (hUT - 1.5)
            nlosSlope = 39.08
            losDistanceScale = 63
        case .umi:
            losNearIntercept = 32.4 + 20 * logF
            losNearSlope = 21
            losFarIntercept = 32.4 + 20 * logF - 9.5 * log10(breakpoint * breakpoint + dh * dh)
            nlosIntercept = 22.4 + 21.3 * logF - 0.3 * (hUT - 1.5)
            nlosSlope = 35.3
            losDistanceScale = 36
        case .indoorWiFi:
            losNearIntercept = 40.05 + 20 * log10(fc / 2.4)
            losNearSlope = 20
            losFarIntercept = 0
            nlosIntercept = 0
            nlosSlope = 0
            losDistanceScale = 0
        }
        logBreakpoint = log10(PropagationModel.wifiBreakpoint)
        inverseLOSSquare = 1 / cell.model.losDecorrelation
        sigmaLOS = cell.model.shadowSigma(los: true, d3D: 0)
        sigmaNLOS = cell.model == .indoorWiFi ? cell.model.shadowSigma(los: false, d3D: 1e9) : cell.model.shadowSigma(los: false)
        inverseShadowLOS = 1 / cell.model.shadowDecorrelation(los: true)
        inverseShadowNLOS = 1 / cell.model.shadowDecorrelation(los: false)
    }
}

extension LinkBudget {
    /// RSRP (4G/5G) or RSSI (WiFi) in dBm at `(px, py)`; the same value as `signal(from:at:)`.
    @inline(__always)
    func signal(_ cell: borrowing CellRadio, x px: Double, y py: Double) -> Double {
        let dx = px - cell.x, dy = py - cell.y
        let d2Squared = max(dx * dx + dy * dy, 1)
        let logD = 0.5 * log10(d2Squared + cell.heightDifferenceSquared)
        var loss: Double
        var los = true
        if cell.model == .indoorWiFi {
            loss = logD <= cell.logBreakpoint
                ? cell.losNearIntercept + 20 * logD
                : cell.losNearIntercept + 20 * cell.logBreakpoint + 35 * (logD - cell.logBreakpoint)
            // TGax: σ 3 dB inside the breakpoint, 5 dB beyond (reported as the "NLOS" field).
            los = logD <= cell.logBreakpoint
        } else {
            let lineOfSight = d2Squared <= cell.breakpointSquared
                ? cell.losNearIntercept + cell.losNearSlope * logD
                : cell.losFarIntercept + 40 * logD
            if d2Squared > 324 {
                let d2 = d2Squared.squareRoot()
                let square = Hash64.combine(seed, cell.number &* 4 &+ 3, Int((px * cell.inverseLOSSquare).rounded(.down)),
                    Int((py * cell.inverseLOSSquare).rounded(.down)))
                let probability = 18 / d2 + exp(-d2 / cell.losDistanceScale) * (1 - 18 / d2)
                los = Hash64.unit(square) < probability
            }
            loss = los ? lineOfSight : max(lineOfSight, cell.nlosIntercept + cell.nlosSlope * logD)
        }
        if environment.shadowing {
            let sigma = los ? cell.sigmaLOS : cell.sigmaNLOS
            let inverse = los ? cell.inverseShadowLOS : cell.inverseShadowNLOS
            loss += sigma * shadowing(cell: cell.number, x: px * inverse, y: py * inverse, salt: los ? 1 : 2)
        }
        return cell.power - loss
    }
}
