/// An RFC 6901 JSON pointer (`/spec/template/spec/containers/0/image`).
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    public var tokens: [String]

    public init(tokens: [String]) { self.tokens = tokens }

    public init(parsing text: String) throws(PatchError) {
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else { throw .malformed("JSON pointer \"\(text)\" must start with '/'") }
        tokens = try text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { (raw) throws(PatchError) -> String in
            var token = ""
            var iterator = raw.makeIterator()
            while let c = iterator.next() {
                if c == "~" {
                    switch iterator.next() {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default: throw .malformed("JSON pointer \"\(text)\" has an invalid '~' escape")
                    }
                } else {
                    token.append(c)
                }
            }
            return token
        }
    }

    public var description: String {
        tokens.map { "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined()
    }

    public func get(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let items):
                guard let index = Self.arrayIndex(token, count: items.count, allowEnd: false) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// A decimal array index without leading zeros; `-` means one past the end when `allowEnd`.
    static func arrayIndex(_ token: String, count: Int, allowEnd: Bool) -> Int? {
        if token == "-" { return allowEnd ? count : nil }
        guard !token.isEmpty, token.allSatisfy(\.isASCII), token.allSatisfy(\.isNumber),
            token == "0" || !token.hasPrefix("0"), let index = Int(token)
        else { return nil }
        return index <= (allowEnd ? count : count - 1) ? index : nil
    }
}

import Foundation
