/// `AppProfile.spec.sessionProtection`: keep a standby copy of each session's state at a second site, so the session
/// survives the death of its primary's site or instance (the mobility service promotes the standby). State lost on
/// a promotion is at most one checkpoint interval of play.
///
///     sessionProtection: {mode: Standby, checkpointInterval: 100ms}
@FastJSON
public struct SessionProtection: Sendable, Hashable, Codable {
    public static let modes = ["None", "Standby"]
    /// `Standby`, or `None` (the default: no standby copy).
    public var mode: String?
    /// How often the primary sends its standby a checkpoint, as a duration (`100ms`, `1s`); default 100ms.
    public var checkpointInterval: String?
    public var unknownFields = UnknownFields()

    public init(mode: String? = nil, checkpointInterval: String? = nil) {
        self.mode = mode
        self.checkpointInterval = checkpointInterval
    }

    public var standby: Bool { mode == "Standby" }

    /// The interval in milliseconds (100 when unset; nil when it does not parse).
    public var intervalMilliseconds: Int? {
        guard let text = checkpointInterval else { return 100 }
        return Self.milliseconds(text)
    }

    /// A duration of one unit: `250ms`, `2s`, `1m`. (Checkpoint intervals need no more of Go's syntax.)
    static func milliseconds(_ text: String) -> Int? {
        for (unit, scale) in [("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)] where text.hasSuffix(unit) {
            guard let value = Double(text.dropLast(unit.count)), value.isFinite, value >= 0 else { return nil }
            return Int((value * scale).rounded())
        }
        return nil
    }

    func validate(path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if let mode, !Self.modes.contains(mode) { errors.append(.notSupported(path.child("mode"), mode, supported: Self.modes)) }
        if let text = checkpointInterval {
            if let ms = Self.milliseconds(text) {
                if ms < 10 || ms > 60_000 { errors.append(.invalid(path.child("checkpointInterval"), text, "must be between 10ms and 1m")) }
            } else {
                errors.append(.invalid(path.child("checkpointInterval"), text, "must be a duration such as 100ms or 1s"))
            }
        }
        return errors
    }
}
