/// Per-RAT defaults, from the reference numbers in ../shared/reference/mec-standards.md §4 (and stated
/// assumptions where it has none); every one can be overridden per cell in the scenario.
public struct RATProfile: Sendable {
    public var frequencyGHz: Double
    public var bandwidthMHz: Double
    /// Subcarrier spacing (kHz) for resource-element arithmetic; WiFi uses the whole channel.
    public var subcarrierKHz: Double
    public var txPowerDbm: Double
    public var antennaHeight: Double
    public var model: PropagationModel
    /// Radio + operator core round trip to the edge breakout (ms) and its jitter (standard deviation, ms).
    public var accessRttMs: Double
    public var accessJitterMs: Double
    /// HARQ round trip (ms) added per expected retransmission at low SINR.
    public var harqRttMs: Double
    /// Peak spectral efficiency (bit/s/Hz) that caps Shannon: 64QAM LTE, 256QAM NR, WiFi 256QAM single stream.
    public var maxSpectralEfficiency: Double
    /// Hard handover (or roam) interruption, uniform in [min, max] ms.
    public var interruptionMs: ClosedRange<Double>
    /// What a `low-latency` QoS flow gets on this RAT (QoS on demand); nil where the RAT cannot give one.
    public var lowLatency: LowLatencyProfile?

    public static func defaults(for rat: RAT) -> RATProfile {
        switch rat {
        case .lte:
            // LTE ping ≈ 20 ms; X2 hard handover 30–60 ms.
            return RATProfile(frequencyGHz: 1.8, bandwidthMHz: 20, subcarrierKHz: 15, txPowerDbm: 46, antennaHeight: 25, model: .uma,
                accessRttMs: 20, accessJitterMs: 4, harqRttMs: 8, maxSpectralEfficiency: 5.55, interruptionMs: 30...60,
                // Pre-allocated uplink grants take the scheduling request out of the round trip: ≈ 10 ms.
                lowLatency: LowLatencyProfile(accessRttMs: 10, accessJitterMs: 1.5, flowsPerCell: 8, capacityShare: 0.04))
        case .nr:
            // Between IMT-2020 eMBB (4 ms one way) and measured NSA (7 ms one way best): 12 ms; Rel-15 hard HO 20–50 ms.
            return RATProfile(frequencyGHz: 3.5, bandwidthMHz: 100, subcarrierKHz: 30, txPowerDbm: 43, antennaHeight: 25, model: .uma,
                accessRttMs: 12, accessJitterMs: 2, harqRttMs: 2, maxSpectralEfficiency: 7.4, interruptionMs: 20...50,
                // A delay-critical GBR flow (5QI 82–86) with mini-slot scheduling: radio one way near URLLC's 1 ms.
                lowLatency: LowLatencyProfile(accessRttMs: 6, accessJitterMs: 0.5, flowsPerCell: 32, capacityShare: 0.02))
        case .wifi:
            // A tuned WiFi hop has a median near 10 ms with a long tail; WPA2-PSK roam 50–100 ms.
            return RATProfile(frequencyGHz: 5.2, bandwidthMHz: 40, subcarrierKHz: 312.5, txPowerDbm: 20, antennaHeight: 3, model: .indoorWiFi,
                accessRttMs: 8, accessJitterMs: 5, harqRttMs: 1, maxSpectralEfficiency: 6.0, interruptionMs: 50...100,
                // WiFi has no 3GPP QoS flow to reserve: a low-latency request is not guaranteed there.
                lowLatency: nil)
        }
    }

    /// A UMi small cell is lower and weaker than a macro.
    public static func smallCellHeight(_ model: PropagationModel) -> Double? { model == .umi ? 10 : nil }
    public static func smallCellPower(_ model: PropagationModel) -> Double? { model == .umi ? 33 : nil }
}

/// A low-latency QoS flow on one RAT: the access round trip and jitter it gives instead of the RAT's best effort,
/// how many such flows one cell admits, and the share of the cell's capacity each reserves (taken from everyone's
/// best-effort throughput on that cell).
public struct LowLatencyProfile: Sendable {
    public var accessRttMs: Double
    public var accessJitterMs: Double
    public var flowsPerCell: Int
    public var capacityShare: Double

    public init(accessRttMs: Double, accessJitterMs: Double, flowsPerCell: Int, capacityShare: Double) {
        self.accessRttMs = accessRttMs
        self.accessJitterMs = accessJitterMs
        self.flowsPerCell = flowsPerCell
        self.capacityShare = capacityShare
    }
}

/// Scenario-wide radio constants with their defaults.
public struct RadioEnvironment: Sendable {
    public var noiseFigureDb: Double
    public var ueHeight: Double
    public var shadowing: Bool
    public var minRsrpDbm: Double
    public var minRssiDbm: Double

    init(_ settings: Scenario.RadioSettings?) {
        noiseFigureDb = settings?.noiseFigureDb ?? 7
        ueHeight = settings?.ueHeight ?? 1.5
        shadowing = settings?.shadowing ?? true
        minRsrpDbm = settings?.minRsrpDbm ?? -120
        minRssiDbm = settings?.minRssiDbm ?? -82
    }
}

/// Handover parameters with their defaults.
public struct HandoverParameters: Sendable {
    public var hysteresisDb: Double
    public var timeToTrigger: Double
    public var radioLinkFailure: Double
    public var interOperatorMs: ClosedRange<Double>

    init(_ settings: Scenario.HandoverSettings?) {
        hysteresisDb = settings?.hysteresisDb ?? 3
        timeToTrigger = (settings?.timeToTriggerMs ?? 320) / 1000
        radioLinkFailure = (settings?.radioLinkFailureMs ?? 1000) / 1000
        let range = settings?.interOperatorMs ?? [300, 600]
        interOperatorMs = range[0]...range[1]
    }
}
