import Foundation

/// One UE's radio state: what it is attached to, what it is considering, and what it last measured.
struct UERadio {
    /// Serving cell, or -1 (none: in a handover's interruption, or out of coverage).
    var serving: Int32 = -1
    /// The cell a handover in progress goes to, or -1.
    var handoverTarget: Int32 = -1
    /// The cell the A3 condition currently holds for, and since when.
    var candidate: Int32 = -1
    var candidateSince: Double = 0
    /// Since when the serving cell has been below the usability threshold (infinity: it is not).
    var weakSince: Double = .infinity
    var nextSearch: Double
    var neighbours = InlineArray<8, Int32>(repeating: -1)
    var neighbourCount = 0
    var signal: Float = -.infinity
    var sinr: Float = -.infinity
    var rsrq: Float = -.infinity

    init(nextSearch: Double) { self.nextSearch = nextSearch }

    /// Stores the serving cell's figures; interference is the measured cells on the same channel.
    mutating func record(cell: Int, signal s: Double, measured: MeasurementSet, cells: UnsafeBufferPointer<CellRadio>) {
        var interference = 0.0
        let channel = cells[cell].channel
        for k in 0..<measured.count {
            let c = Int(measured.cells[k])
            if c != cell, cells[c].channel == channel { interference += pow(10, measured.signals[k] / 10) }
        }
        let noise = cells[cell].noiseMilliwatts
        signal = Float(s)
        sinr = Float(LinkBudget.sinr(signalDbm: s, interferenceMilliwatts: interference, noiseMilliwatts: noise))
        rsrq = cells[cell].model == .indoorWiFi
            ? .nan
            : Float(LinkBudget.rsrq(signalDbm: s, interferenceMilliwatts: interference, noiseMilliwatts: noise))
    }
}

/// Up to eight measured cells, without allocating.
struct MeasurementSet {
    var cells = InlineArray<8, Int32>(repeating: -1)
    var signals = InlineArray<8, Double>(repeating: -.infinity)
    var count = 0

    mutating func append(cell: Int32, signal: Double) {
        guard count < 8 else { return }
        cells[count] = cell
        signals[count] = signal
        count += 1
    }

    /// Keeps the eight strongest seen so far.
    mutating func keepStrongest(cell: Int32, signal: Double) {
        if count < 8 {
            append(cell: cell, signal: signal)
            return
        }
        var weakest = 0
        for k in 1..<8 where signals[k] < signals[weakest] { weakest = k }
        if signal > signals[weakest] {
            cells[weakest] = cell
            signals[weakest] = signal
        }
    }
}
