/// Kubernetes name rules (DNS-1123 / DNS-1035, label keys and values). Each returns the problems, empty when valid.
public enum NameValidation {
    static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
    static func isAlnum(_ c: UInt8) -> Bool { isLowerAlnum(c) || (c >= 65 && c <= 90) }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
    public static func dns1123Label(_ value: String) -> [String] {
        var problems: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > 63 { problems.append("must be no more than 63 characters") }
        if !isDNS1123Label(bytes[...]) {
            problems.append(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
        }
        return problems
    }

    /// Dot-separated DNS-1123 labels, at most 253 characters.
    public static func dns1123Subdomain(_ value: String) -> [String] {
        var problems: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > 253 { problems.append("must be no more than 253 characters") }
        let labels = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        // Kubernetes bounds only the whole subdomain (253), not each dot-separated part.
        if bytes.isEmpty || !labels.allSatisfy({ isDNS1123Label($0, maxLength: Int.max) }) {
            problems.append(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
        }
        return problems
    }

    /// `[a-z]([-a-z0-9]*[a-z0-9])?`, at most 63 characters (Service names).
    public static func dns1035Label(_ value: String) -> [String] {
        var problems: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > 63 { problems.append("must be no more than 63 characters") }
        if !isDNS1123Label(bytes[...]) || !(bytes.first.map { $0 >= 97 && $0 <= 122 } ?? false) {
            problems.append(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
        }
        return problems
    }

    static func isDNS1123Label(_ bytes: ArraySlice<UInt8>, maxLength: Int = 63) -> Bool {
        guard let first = bytes.first, let last = bytes.last, bytes.count <= maxLength else { return false }
        guard isLowerAlnum(first), isLowerAlnum(last) else { return false }
        return bytes.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, at most `max` characters; the shape of label names and values.
    static func isQualifiedNamePart(_ bytes: ArraySlice<UInt8>, max: Int = 63) -> Bool {
        guard let first = bytes.first, let last = bytes.last, bytes.count <= max else { return false }
        guard isAlnum(first), isAlnum(last) else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    /// Label and annotation keys: an optional DNS-1123 subdomain prefix and `/`, then a name part.
    public static func qualifiedName(_ value: String) -> [String] {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        var problems: [String] = []
        let name: Substring
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            if parts[0].isEmpty {
                problems.append("prefix part must be non-empty")
            } else {
                problems.append(contentsOf: dns1123Subdomain(String(parts[0])).map { "prefix part \($0)" })
            }
            name = parts[1]
        default:
            return [
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ]
        }
        if name.isEmpty {
            problems.append("name part must be non-empty")
        } else if name.utf8.count > 63 {
            problems.append("name part must be no more than 63 characters")
        } else if !isQualifiedNamePart(Array(name.utf8)[...]) {
            problems.append(
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
        }
        return problems
    }

    /// Label values: empty, or a name part of at most 63 characters.
    public static func labelValue(_ value: String) -> [String] {
        if value.isEmpty { return [] }
        var problems: [String] = []
        if value.utf8.count > 63 { problems.append("must be no more than 63 characters") }
        if !isQualifiedNamePart(Array(value.utf8)[...], max: Int.max) {
            problems.append(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
        }
        return problems
    }

    /// Names that can never appear in a URL path segment, whatever the kind's own rule says.
    public static func pathSegmentName(_ value: String) -> [String] {
        if value == "." || value == ".." { return ["may not be '\(value)'"] }
        var problems: [String] = []
        // Bytes, not `contains("/")`: with Foundation imported that is a substring search through CFString, which
        // was ~2 % of a scheduling-loop profile (every write validates its name).
        if value.utf8.contains(UInt8(ascii: "/")) { problems.append("may not contain '/'") }
        if value.utf8.contains(UInt8(ascii: "%")) { problems.append("may not contain '%'") }
        return problems
    }
}
