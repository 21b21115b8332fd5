import Foundation

/// Received signal from one cell at one place: path loss by the cell's model, LOS state and log-normal shadowing
/// that are properties of the place (hashed from a grid around it, so a UE standing still sees a steady value
/// and one walking sees it drift over the decorrelation distance).
public struct LinkBudget: Sendable {
    public let seed: UInt64
    public let environment: RadioEnvironment

    public init(seed: UInt64, environment: RadioEnvironment) {
        self.seed = seed
        self.environment = environment
    }

    /// RSRP (4G/5G, per resource element) or RSSI (WiFi), dBm: the reference form, written as the formulas read
    /// (`CellRadio` has the same arithmetic folded for the engine; a test holds them equal).
    public func signal(from cell: CompiledCell, at point: Point) -> Double {
        let dx = point.x - cell.position.x, dy = point.y - cell.position.y
        let d2D = max((dx * dx + dy * dy).squareRoot(), 1)
        let dh = cell.antennaHeight - environment.ueHeight
        let d3D = (d2D * d2D + dh * dh).squareRoot()
        var los = true
        if cell.model == .indoorWiFi {
            los = d3D <= PropagationModel.wifiBreakpoint
        } else if d2D > 18 {
            let size = cell.model.losDecorrelation
            let square = Hash64.combine(seed, cell.number &* 4 &+ 3, Int((point.x / size).rounded(.down)), Int((point.y / size).rounded(.down)))
            los = Hash64.unit(square) < cell.model.losProbability(d2D: d2D)
        }
        let loss = cell.model.pathLoss(d2D: d2D, baseHeight: cell.antennaHeight, ueHeight: environment.ueHeight,
            frequencyGHz: cell.frequencyGHz, los: cell.model == .indoorWiFi ? true : los)
        var shadow = 0.0
        if environment.shadowing {
            let spacing = cell.model.shadowDecorrelation(los: los)
            shadow = cell.model.shadowSigma(los: los, d3D: d3D)
                * shadowing(cell: cell.number, x: point.x / spacing, y: point.y / spacing, salt: los ? 1 : 2)
        }
        return cell.txPowerDbm - cell.perElementOffset - loss - shadow
    }

    /// A unit-variance field over grid coordinates (`x`, `y` in decorrelation distances): normals at the grid's
    /// corners, blended bilinearly and rescaled so the blend keeps unit variance.
    @inline(__always)
    func shadowing(cell: Int, x gx: Double, y gy: Double, salt: Int) -> Double {
        let x0 = gx.rounded(.down), y0 = gy.rounded(.down)
        let fx = gx - x0, fy = gy - y0
        let ix = Int(x0), iy = Int(y0), key = cell &* 4 &+ salt
        let n00 = Hash64.normal(Hash64.combine(seed, key, ix, iy))
        let n10 = Hash64.normal(Hash64.combine(seed, key, ix + 1, iy))
        let n01 = Hash64.normal(Hash64.combine(seed, key, ix, iy + 1))
        let n11 = Hash64.normal(Hash64.combine(seed, key, ix + 1, iy + 1))
        let w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy
        let norm = (w00 * w00 + w10 * w10 + w01 * w01 + w11 * w11).squareRoot()
        return (w00 * n00 + w10 * n10 + w01 * n01 + w11 * n11) / norm
    }

    /// SINR (dB) of `signal` against noise and the summed interference (both mW, in the same measurement bandwidth).
    @inline(__always)
    public static func sinr(signalDbm: Double, interferenceMilliwatts: Double, noiseMilliwatts: Double) -> Double {
        10 * log10(pow(10, signalDbm / 10) / (interferenceMilliwatts + noiseMilliwatts))
    }

    /// RSRQ (dB) at full load: RSRP over the received power of the whole resource block (12 elements).
    @inline(__always)
    public static func rsrq(signalDbm: Double, interferenceMilliwatts: Double, noiseMilliwatts: Double) -> Double {
        let s = pow(10, signalDbm / 10)
        return 10 * log10(s / (12 * (s + interferenceMilliwatts + noiseMilliwatts)))
    }

    /// Cell capacity (bit/s) at this SINR: 0.75 × Shannon for coding and overhead, capped at the RAT's peak efficiency.
    public static func capacity(sinrDb: Double, bandwidthMHz: Double, maxEfficiency: Double) -> Double {
        let efficiency = min(0.75 * log2(1 + pow(10, sinrDb / 10)), maxEfficiency)
        return efficiency * bandwidthMHz * 1e6
    }
}
