import FlotillaAPIExtension
import Foundation

/// Static bearer tokens, in kube-apiserver's `--token-auth-file` format: `token,user,uid,"group1,group2"`.
public struct TokenFile: Sendable {
    public private(set) var users: [String: UserInfo]

    public init(users: [String: UserInfo] = [:]) { self.users = users }

    public init(contentsOf url: URL) throws {
        var users: [String: UserInfo] = [:]
        let text = try String(contentsOf: url, encoding: .utf8)
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = Self.splitCSV(line)
            guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw TokenFileError(line: offset + 1, message: "expected token,user[,uid[,\"groups\"]]")
            }
            let groups = fields.count >= 4 ? fields[3].split(separator: ",").map(String.init) : []
            users[fields[0]] = UserInfo(name: fields[1], groups: groups)
        }
        self.users = users
    }

    public func user(forToken token: String) -> UserInfo? { users[token] }

    public func serialized() -> String {
        users.sorted { $0.value.name < $1.value.name }.map { token, user in
            "\(token),\(user.name),\(user.name),\"\(user.groups.joined(separator: ","))\""
        }.joined(separator: "\n") + "\n"
    }

    /// A random 32-byte token, hex-encoded.
    public static func generateToken() -> String {
        (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func splitCSV(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            switch character {
            case "\"": quoted.toggle()
            case "," where !quoted:
                fields.append(current)
                current = ""
            default: current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}

public struct TokenFileError: Error, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "tokens file line \(line): \(message)" }
}
