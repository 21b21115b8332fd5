import Foundation

/// coordination.k8s.io/v1 Lease: a lock with a holder and an expiry, which replicas take turns holding. Flotilla's
/// controllers run only in the replica holding `kube-system/flotilla-controller-manager` (see `LeaderElection`).
@FastJSON
public struct Lease: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: LeaseSpec?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: LeaseSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true, builtin: true,
        admit: Lease.admit, unknownFields: Lease.unknownFieldPaths)

    /// kube-apiserver's rules, and the coordinated-leader-election fields refused: nothing here elects by them.
    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let path = FieldPath("spec")
        if let seconds = spec?.leaseDurationSeconds, seconds <= 0 {
            errors.append(.invalid(path.child("leaseDurationSeconds"), "\(seconds)", "must be greater than 0"))
        }
        if let transitions = spec?.leaseTransitions, transitions < 0 {
            errors.append(.invalid(path.child("leaseTransitions"), "\(transitions)", "must be greater than or equal to 0"))
        }
        for (field, value) in [("acquireTime", spec?.acquireTime), ("renewTime", spec?.renewTime)] {
            if let value, Lease.time(value) == nil {
                errors.append(.invalid(path.child(field), value, "must be an RFC 3339 time with microseconds, e.g. 2026-12-06T07:05:43.123456Z"))
            }
        }
        if let strategy = spec?.strategy {
            errors.append(.forbidden(path.child("strategy"), "\(strategy): coordinated leader election is not served by this server"))
        }
        if spec?.preferredHolder != nil {
            errors.append(.forbidden(path.child("preferredHolder"), "coordinated leader election is not served by this server"))
        }
        return errors
    }

    /// MicroTime as Kubernetes writes it (`2026-12-06T07:05:43.123456Z`); whole seconds are accepted too.
    public static func time(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // ISO8601DateFormatter reads at most milliseconds: cut the fraction to three digits, add the rest back.
        if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }) {
            let digits = text[text.index(after: dot)..<end]
            let millis = "\(text[..<dot]).\(digits.prefix(3).padding(toLength: 3, withPad: "0", startingAt: 0))\(text[end...])"
            guard let date = formatter.date(from: millis) else { return nil }
            let rest = digits.dropFirst(3).prefix(3)
            return date.addingTimeInterval((Double(rest.padding(toLength: 3, withPad: "0", startingAt: 0)) ?? 0) / 1_000_000)
        }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// A time as MicroTime.
    public static func microTime(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let micros = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded(.down))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: seconds)).replacingOccurrences(of: "Z", with: String(format: ".%06dZ", micros))
    }
}

@FastJSON
public struct LeaseSpec: Sendable, Hashable, Codable {
    public var holderIdentity: String?
    public var leaseDurationSeconds: Int32?
    public var acquireTime: String?
    public var renewTime: String?
    public var leaseTransitions: Int32?
    public var strategy: String?
    public var preferredHolder: String?
    public var unknownFields = UnknownFields()

    public init(holderIdentity: String? = nil, leaseDurationSeconds: Int32? = nil, acquireTime: String? = nil, renewTime: String? = nil,
                leaseTransitions: Int32? = nil) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }
}
