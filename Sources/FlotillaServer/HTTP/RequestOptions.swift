import HummingbirdCore
import FlotillaAPI
import FlotillaStore
import Hummingbird

/// Query parameters as the API server reads them. `watch`, `dryRun` and friends parse like Go's ParseBool, since
/// the Python client sends `watch=True`.
struct RequestOptions {
    let query: [String: String]

    init(uri: URI) {
        var query: [String: String] = [:]
        for (key, value) in uri.queryParameters { query[String(key)] = String(value) }
        self.query = query
    }

    subscript(_ key: String) -> String? { query[key] }

    func bool(_ key: String) -> Bool {
        guard let value = query[key] else { return false }
        return ["1", "t", "T", "true", "TRUE", "True"].contains(value)
    }

    var isWatch: Bool { bool("watch") }
    var dryRun: Bool { query["dryRun"] == "All" }

    /// `fieldValidation`: Strict (the default kubectl sends), Warn or Ignore.
    var fieldValidation: String { query["fieldValidation"] ?? "Ignore" }

    func filter(namespace: String?, descriptor: ResourceDescriptor) throws(APIError) -> ObjectFilter {
        let labels: Selector
        do { labels = try Selector(parsing: query["labelSelector"] ?? "") } catch { throw .badRequest(error.description) }
        let fields: FieldSelector
        do { fields = try FieldSelector(parsing: query["fieldSelector"] ?? "") } catch { throw .badRequest(error.description) }
        let supported = descriptor.supportedFieldSelectors
        for field in fields.fields where !supported.contains(field) {
            throw .badRequest("field label not supported: \(field)")
        }
        return ObjectFilter(namespace: namespace, labelSelector: labels, fieldSelector: fields,
            fields: { descriptor.selectableFieldValues(of: $0) })
    }

    func limit() throws(APIError) -> Int? {
        guard let text = query["limit"], !text.isEmpty else { return nil }
        guard let limit = Int(text), limit >= 0 else { throw .badRequest("limit must be a non-negative integer, got \"\(text)\"") }
        return limit == 0 ? nil : limit
    }

    /// A watch's starting revision: unset or "0" start with the current state.
    func watchRevision() throws(APIError) -> Int64? {
        guard let text = query["resourceVersion"], !text.isEmpty, text != "0" else { return nil }
        guard let revision = Int64(text), revision > 0 else {
            throw .badRequest("invalid resourceVersion \"\(text)\": must be a resourceVersion returned by this server")
        }
        return revision
    }

    func timeoutSeconds() -> Int? { query["timeoutSeconds"].flatMap(Int.init) }
}
