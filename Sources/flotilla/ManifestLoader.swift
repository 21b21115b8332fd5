import FlotillaAPI
import Foundation

/// Reads `-f` arguments the way kubectl does: a file, a directory of .yaml/.yml/.json files, or `-` for stdin.
enum ManifestLoader {
    struct Document {
        var source: String
        var value: JSONValue
    }

    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ paths: [String]) throws -> [Document] {
        var documents: [Document] = []
        for path in paths {
            if path == "-" {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                documents += try parse(String(decoding: data, as: UTF8.self), source: "<stdin>")
                continue
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw LoadError(description: "the path \"\(path)\" does not exist")
            }
            let files: [String]
            if isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") }
                    .map { (path as NSString).appendingPathComponent($0) }
            } else {
                files = [path]
            }
            for file in files {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                documents += try parse(text, source: file)
            }
        }
        return documents
    }

    static func parse(_ text: String, source: String) throws -> [Document] {
        do {
            // Items of a List (kind: List, or any ...List) are applied one by one, as kubectl does.
            return try YAMLCodec.decodeDocuments(text).flatMap { value -> [Document] in
                if let items = value["items"]?.arrayValue, value.kind?.hasSuffix("List") == true {
                    return items.map { Document(source: source, value: $0) }
                }
                return [Document(source: source, value: value)]
            }
        } catch {
            throw LoadError(description: "\(source): \(error)")
        }
    }
}
