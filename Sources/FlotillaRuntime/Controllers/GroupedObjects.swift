import FlotillaAPI
import Synchronization

/// The objects of one kind in a loop's snapshot, grouped by something each object names (a Work's cluster, the
/// binding it renders), and kept from each pass's changes rather than regrouped: at a hundred thousand Works,
/// grouping and decoding every Work on each pass was most of what the binding and execution controllers did
/// (`flotilla bench fleet`). Typed copies are decoded per resourceVersion and kept between passes, in a
/// `SharedDecoded` that other loops reading the same kind may share.
///
/// Groups are worked out from the object's own JSON, and an object's group must not change while it lives (its
/// namespace, an owner label): an update moves nothing.
public final class GroupedObjects<T: APIObject>: Sendable {
    private struct State {
        var members: [String: Set<String>] = [:]
        var groupOf: [String: String] = [:]
    }

    let resource: ResourceDescriptor
    let group: @Sendable (JSONValue) -> String?
    let decoded: SharedDecoded<T>
    private let state = Mutex(State())

    /// `group`: the group of an object, nil to leave it out. `decoded`: where typed copies are kept (shared with
    /// other loops that read the kind, or this grouping's own).
    public init(_ resource: ResourceDescriptor, decoded: SharedDecoded<T> = SharedDecoded(), group: @escaping @Sendable (JSONValue) -> String?) {
        self.resource = resource
        self.decoded = decoded
        self.group = group
    }

    /// Brings the groups up to date with a pass: every object on a full pass, otherwise the keys that were added,
    /// deleted or changed beyond their status. Returns the groups that gained or lost an object (nil on a full pass).
    @discardableResult
    public func update(_ snapshot: ObjectSnapshot, full: Bool, changes: Changes) -> Set<String>? {
        if full { decoded.retain(snapshot.objects(resource)) }
        return state.withLock { state in
            if full {
                let objects = snapshot.objects(resource)
                state.members = [:]
                state.groupOf = [:]
                for object in objects {
                    guard let group = group(object) else { continue }
                    let key = WatchedSet.key(object)
                    state.members[group, default: []].insert(key)
                    state.groupOf[key] = group
                }
                return nil
            }
            var touched = Set<String>()
            for key in changes.keys(resource) {
                let object = snapshot.object(resource, key: key)
                let now = object.flatMap(group)
                let before = state.groupOf[key]
                guard now != before else { continue }
                if let before {
                    state.members[before]?.remove(key)
                    if state.members[before]?.isEmpty == true { state.members[before] = nil }
                    touched.insert(before)
                }
                if let now {
                    state.members[now, default: []].insert(key)
                    touched.insert(now)
                }
                state.groupOf[key] = now
            }
            return touched
        }
    }

    /// The groups that hold objects.
    public var groups: [String] { state.withLock { Array($0.members.keys) } }

    /// The objects of `group`, in key order.
    public func objects(in group: String, _ snapshot: ObjectSnapshot) -> [JSONValue] {
        keys(in: group).compactMap { snapshot.object(resource, key: $0) }
    }

    /// The objects of `group` decoded, in key order (those that do not decode are left out).
    public func typed(in group: String, _ snapshot: ObjectSnapshot) -> [T] {
        decoded.decode(each: objects(in: group, snapshot))
    }

    private func keys(in group: String) -> [String] { state.withLock { ($0.members[group] ?? []).sorted() } }
}
