extension ResourceSelector {
    /// How specifically this selector matches a resource template: 3 by name, 2 by label selector, 1 by
    /// apiVersion/kind only, nil when it does not match. A set name makes the label selector irrelevant (Karmada).
    public func specificity(for template: JSONValue) -> Int? {
        guard apiVersion == template.apiVersion, kind == template.kind else { return nil }
        if let namespace, !namespace.isEmpty, namespace != (template.namespace ?? "") { return nil }
        if let name, !name.isEmpty { return name == template.name ? 3 : nil }
        if let labelSelector { return labelSelector.matches(template.labels) ? 2 : nil }
        return 1
    }

    public func matches(_ template: JSONValue) -> Bool { specificity(for: template) != nil }
}
