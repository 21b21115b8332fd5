/// A UE's low-latency QoS flow was granted or lost (simulated seconds).
public struct QoSChange: Sendable, Hashable {
    public var time: Double
    public var ue: Int
    /// Whether the UE's flow now has its reservation.
    public var guaranteed: Bool
}

/// QoS on demand: a `low-latency` flow for a UE (3GPP AsSessionWithQoS, through the simulator's NEF). The UE's serving
/// cell reserves it when its RAT can give one (`RATProfile.lowLatency`) and it has room (`flowsPerCell`); the UE's
/// access round trip and jitter then drop to the flow's, and every best-effort user of that cell loses the flow's
/// `capacityShare`. The reservation follows the UE: after each step it is kept, moved to the new serving cell, or
/// lost (WiFi, a full cell, no coverage) — and taken again when possible. Every change is a `QoSChange`.
extension AccessNetwork {
    /// Adds a request for a low-latency flow for `ue`; answers whether the UE has the reservation now. A UE's
    /// requests share one reservation.
    @discardableResult
    public func requestLowLatency(ue: Int) -> Bool {
        lowLatencyRequests[ue, default: 0] += 1
        if lowLatencyCell[ue] < 0, let cell = admittingCell(ue) { reserve(ue, on: cell) }
        return lowLatencyCell[ue] >= 0
    }

    /// Withdraws one request; the reservation goes with the last.
    public func releaseLowLatency(ue: Int) {
        guard let count = lowLatencyRequests[ue] else { return }
        if count > 1 {
            lowLatencyRequests[ue] = count - 1
            return
        }
        lowLatencyRequests[ue] = nil
        if lowLatencyCell[ue] >= 0 { unreserve(ue) }
    }

    /// Whether `ue`'s low-latency flow holds a reservation on its serving cell now.
    public func hasLowLatency(ue: Int) -> Bool { lowLatencyCell[ue] >= 0 && lowLatencyCell[ue] == radio[ue].serving }

    /// Takes the QoS changes since the last call.
    public func drainQoSChanges() -> [QoSChange] {
        defer { qosChanges.removeAll(keepingCapacity: true) }
        return qosChanges
    }

    /// The cell that would reserve a flow for `ue` now: its serving cell, if the RAT gives low latency and has room.
    func admittingCell(_ ue: Int) -> Int? {
        let serving = Int(radio[ue].serving)
        guard serving >= 0, let profile = topology.cells[serving].profile.lowLatency,
              lowLatencyFlows[serving] < profile.flowsPerCell else { return nil }
        return serving
    }

    /// After a step: reservations follow their UEs. A UE in a handover keeps its state until the handover ends.
    func reconcileLowLatency() {
        guard !lowLatencyRequests.isEmpty else { return }
        for ue in lowLatencyRequests.keys.sorted() where radio[ue].handoverTarget < 0 {
            let held = Int(lowLatencyCell[ue])
            if held >= 0, held == Int(radio[ue].serving) { continue }
            if held >= 0 { lowLatencyFlows[held] -= 1; lowLatencyCell[ue] = -1 }
            if let cell = admittingCell(ue) {
                lowLatencyCell[ue] = Int32(cell)
                lowLatencyFlows[cell] += 1
                if held < 0 { changed(ue, guaranteed: true) }
            } else if held >= 0 {
                changed(ue, guaranteed: false)
            }
        }
    }

    private func reserve(_ ue: Int, on cell: Int) {
        lowLatencyCell[ue] = Int32(cell)
        lowLatencyFlows[cell] += 1
        changed(ue, guaranteed: true)
    }

    private func unreserve(_ ue: Int) {
        lowLatencyFlows[Int(lowLatencyCell[ue])] -= 1
        lowLatencyCell[ue] = -1
        changed(ue, guaranteed: false)
    }

    private func changed(_ ue: Int, guaranteed: Bool) {
        qosChanges.append(QoSChange(time: now, ue: ue, guaranteed: guaranteed))
        // The UE's report (when the scenario takes measurements) shows its new path at once.
        recordMeasurement(ue: ue)
    }

    /// The share of `cell`'s capacity left to best effort after its low-latency reservations.
    func bestEffortShare(_ cell: Int) -> Double {
        let share = topology.cells[cell].profile.lowLatency?.capacityShare ?? 0
        return max(0, 1 - share * Double(lowLatencyFlows[cell]))
    }
}
