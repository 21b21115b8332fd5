import SwiftCompilerPlugin
import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros

/// `@FastJSON` on a model struct: an extension conforming it to `FastJSONCodable`, with `init(fastJSON:)` and
/// `fastJSON` written out from its stored properties, as Codable's synthesis would name and treat them:
/// - a property's key is its name; `T?` is optional (absent or `null` is `nil`, and `nil` is not written);
/// - any other property is required, even with a default value (synthesized `Decodable` requires it too);
/// - `var unknownFields = UnknownFields()` takes every member no property declares and writes them back beside the
///   declared ones, never over one;
/// - fields are written in key order, the order a `JSONObject` keeps, so the object is built with no sort;
/// - a property's type must be `FastJSONCodable` itself (the compiler says which is not).
/// It refuses what it cannot write the same way as Codable: custom `CodingKeys`, `let` properties with a value, and
/// properties without a written type.
public struct FastJSONMacro: ExtensionMacro {
    struct Field {
        var name: String
        var key: String
        var type: String
        var optional: Bool
    }

    public static func expansion(
        of node: AttributeSyntax,
        attachedTo declaration: some DeclGroupSyntax,
        providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        guard declaration.is(StructDeclSyntax.self) else { throw MacroError("@FastJSON applies to structs only") }
        var fields: [Field] = []
        var hasUnknownFields = false
        for member in declaration.memberBlock.members {
            if let nested = member.decl.as(EnumDeclSyntax.self), nested.name.text == "CodingKeys" {
                throw MacroError("@FastJSON does not support custom CodingKeys; keys are the property names")
            }
            guard let variable = member.decl.as(VariableDeclSyntax.self) else { continue }
            if variable.modifiers.contains(where: { ["static", "class"].contains($0.name.text) }) { continue }
            let isLet = variable.bindingSpecifier.text == "let"
            for binding in variable.bindings {
                if let accessors = binding.accessorBlock, isComputed(accessors) { continue }
                guard let pattern = binding.pattern.as(IdentifierPatternSyntax.self) else {
                    throw MacroError("@FastJSON needs one name per stored property")
                }
                let name = pattern.identifier.text.trimmingBackticks
                let written = binding.typeAnnotation?.type
                let isUnknown = name == "unknownFields"
                    || written?.trimmedDescription == "UnknownFields"
                    || binding.initializer?.value.trimmedDescription == "UnknownFields()"
                if isUnknown {
                    hasUnknownFields = true
                    continue
                }
                if isLet, binding.initializer != nil {
                    throw MacroError("@FastJSON: '\(name)' is a let with a value, which Codable skips; make it a var or computed")
                }
                guard let written else { throw MacroError("@FastJSON: '\(name)' needs a written type") }
                if let optional = written.as(OptionalTypeSyntax.self) {
                    fields.append(Field(name: name, key: name, type: optional.wrappedType.trimmedDescription, optional: true))
                } else if let identifier = written.as(IdentifierTypeSyntax.self), identifier.name.text == "Optional",
                          let argument = identifier.genericArgumentClause?.arguments.first {
                    fields.append(Field(name: name, key: name, type: argument.argument.trimmedDescription, optional: true))
                } else {
                    fields.append(Field(name: name, key: name, type: written.trimmedDescription, optional: false))
                }
            }
        }
        let decl = DeclSyntax(stringLiteral: source(for: type.trimmedDescription, fields, hasUnknownFields))
        guard let extensionDecl = decl.as(ExtensionDeclSyntax.self) else { throw MacroError("@FastJSON produced no extension") }
        return [extensionDecl]
    }

    /// `get`/`set` accessors or a bare body make a computed property; `willSet`/`didSet` observe a stored one.
    static func isComputed(_ block: AccessorBlockSyntax) -> Bool {
        switch block.accessors {
        case .getter: return true
        case .accessors(let list): return list.contains { !["willSet", "didSet"].contains($0.accessorSpecifier.text) }
        }
    }

    static func source(for type: String, _ fields: [Field], _ hasUnknownFields: Bool) -> String {
        var decode = ""
        for (index, field) in fields.enumerated() { decode += "        var f\(index): \(field.type)? = nil\n" }
        if hasUnknownFields { decode += "        var unknown: [JSONObject.Member] = []\n" }
        decode += "        for member in members.members {\n            switch member.key {\n"
        for (index, field) in fields.enumerated() {
            decode += "            case \(literal(field.key)):\n"
            if field.optional {
                decode += "                if case .null = member.value {} else { f\(index) = try \(field.type)(fastJSON: member.value) }\n"
            } else {
                decode += "                f\(index) = try \(field.type)(fastJSON: member.value)\n"
            }
        }
        // The object's members are sorted, so the ones left over are too.
        decode += hasUnknownFields ? "            default: unknown.append(member)\n" : "            default: break\n"
        decode += "            }\n        }\n"
        for (index, field) in fields.enumerated() {
            if field.optional {
                decode += "        self.\(field.name) = f\(index)\n"
            } else {
                decode += "        guard let f\(index) else { throw FastJSONMiss() }\n        self.\(field.name) = f\(index)\n"
            }
        }
        if hasUnknownFields { decode += "        self.unknownFields = UnknownFields(JSONObject(sortedUniqueMembers: unknown))\n" }

        // Sized to the members written, not the fields declared: a stored tree keeps its storage (most optional
        // fields are absent, and ObjectMeta declares 14). Written in key order, which is the object's order, so the
        // object is built as it is, with no sort.
        let required = fields.filter { !$0.optional }.count
        var encode = "        var count = \(required)\n"
        for field in fields where field.optional {
            encode += "        if self.\(field.name) != nil { count += 1 }\n"
        }
        encode += "        var members: [JSONObject.Member] = []\n        members.reserveCapacity(count)\n"
        for field in fields.sorted(by: { $0.key < $1.key }) {
            if field.optional {
                encode += "        if let value = self.\(field.name) { members.append(JSONObject.Member(\(literal(field.key)), value.fastJSON)) }\n"
            } else {
                encode += "        members.append(JSONObject.Member(\(literal(field.key)), self.\(field.name).fastJSON))\n"
            }
        }
        encode += "        \(hasUnknownFields ? "var" : "let") object = JSONObject(sortedUniqueMembers: members)\n"
        if hasUnknownFields {
            encode += "        if !unknownFields.isEmpty { object.merge(unknownFields.members, uniquingKeysWith: { declared, _ in declared }) }\n"
        }
        encode += "        return .object(object)\n"

        return """
        extension \(type): FastJSONCodable {
            public init(fastJSON value: JSONValue) throws {
                guard case .object(let members) = value else { throw FastJSONMiss() }
        \(decode)    }

            public var fastJSON: JSONValue {
        \(encode)    }
        }
        """
    }

    static func literal(_ key: String) -> String { "\"\(key)\"" }
}

struct MacroError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    var trimmingBackticks: String {
        hasPrefix("`") && hasSuffix("`") && count > 1 ? String(dropFirst().dropLast()) : self
    }
}

@main
struct FlotillaMacrosPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [FastJSONMacro.self]
}
