import FlotillaAPI
import Synchronization

/// Typed copies of one kind's objects, decoded once per resourceVersion and shared by the loops of a process that
/// read the same objects (the binding and execution controllers both read every Work: at fleet scale each kept a
/// typed copy of 100,000 of them). A loop that finds an object's current version here does not decode it again.
///
/// Loops see changes at slightly different moments, so one may forget (`retain`) a copy another has just made;
/// that costs a decode, never a stale value: a copy is used only for the resourceVersion it was decoded from.
public final class SharedDecoded<T: APIObject>: Sendable {
    private let state = Mutex(DecodedObjects<T>())

    public init() {}

    /// The object typed, decoded unless its copy for this resourceVersion is at hand; nil when it does not decode.
    public func decode(one object: JSONValue) -> T? { state.withLock { $0.decode(one: object) } }

    /// Each object typed (those that do not decode are left out), in order, under one lock.
    public func decode(each objects: [JSONValue]) -> [T] {
        state.withLock { decoded in objects.compactMap { decoded.decode(one: $0) } }
    }

    /// Forgets the copies of objects not in `objects`.
    public func retain(_ objects: [JSONValue]) { state.withLock { $0.retain(objects) } }
}
