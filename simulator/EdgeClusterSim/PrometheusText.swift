/// The samples of a Prometheus text exposition (version 0.0.4), as an adapter scraping a pod reads them: one per
/// line `name{label="value",…} value [timestamp]`; comments, blank lines and lines that do not parse are skipped.
struct PrometheusSample: Sendable, Hashable {
    var name: String
    var labels: [String: String]
    var value: Double
}

enum PrometheusText {
    static func samples(_ text: String) -> [PrometheusSample] {
        text.split(whereSeparator: \.isNewline).compactMap { sample(String($0)) }
    }

    static func sample(_ line: String) -> PrometheusSample? {
        let line = line.drop { $0 == " " || $0 == "\t" }
        guard let first = line.first, first != "#" else { return nil }
        let nameEnd = line.firstIndex { $0 == "{" || $0 == " " || $0 == "\t" } ?? line.endIndex
        let name = String(line[..<nameEnd])
        guard !name.isEmpty else { return nil }
        var rest = line[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            guard let parsed = Self.labels(&rest) else { return nil }
            labels = parsed
        }
        let fields = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let text = fields.first, let value = Double(text == "+Inf" ? "inf" : text == "-Inf" ? "-inf" : String(text)) else { return nil }
        return PrometheusSample(name: name, labels: labels, value: value)
    }

    /// `{a="1",b="x\"y"}` → labels; `rest` is left after the closing brace.
    private static func labels(_ rest: inout Substring) -> [String: String]? {
        rest = rest.dropFirst()
        var labels: [String: String] = [:]
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            if rest.first == "}" { rest = rest.dropFirst(); return labels }
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let key = String(rest[..<equals]).trimmingCharacters(in: " ")
            rest = rest[rest.index(after: equals)...]
            guard rest.first == "\"" else { return nil }
            rest = rest.dropFirst()
            var value = ""
            var escaped = false
            while let character = rest.first {
                rest = rest.dropFirst()
                if escaped {
                    value.append(character == "n" ? "\n" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    break
                } else {
                    value.append(character)
                }
            }
            labels[key] = value
        }
    }
}

private extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = self[...]
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
