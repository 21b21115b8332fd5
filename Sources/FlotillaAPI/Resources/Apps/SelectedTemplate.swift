/// The rule every workload with a selector and a pod template keeps: the selector is non-empty and matches the
/// template's labels, and the template's pod spec is valid.
enum SelectedTemplate {
    static func problems(selector: LabelSelector?, template: PodTemplateSpec, kind: String) -> [FieldError] {
        var errors = template.spec.validate(path: FieldPath("spec.template.spec"))
        guard let selector else { return [.required(FieldPath("spec.selector"))] + errors }
        errors += selector.validate(path: FieldPath("spec.selector"))
        if (selector.matchLabels ?? [:]).isEmpty && (selector.matchExpressions ?? []).isEmpty {
            errors.append(.invalid(FieldPath("spec.selector"), "{}", "empty selector is invalid for \(kind)"))
        } else if !selector.matches(template.metadata?.labels ?? [:]) {
            errors.append(.invalid(FieldPath("spec.template.metadata.labels"),
                (template.metadata?.labels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                "`selector` does not match template `labels`"))
        }
        return errors
    }
}
