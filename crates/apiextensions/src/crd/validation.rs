//! Upstream's ValidateCustomResourceDefinition (and its update rules), with
//! upstream's messages and paths. Upstream validates the internal form of
//! a CRD, where per-version schemas, subresources and printer columns that
//! are the same in every version live once at the top (`spec.validation`,
//! `spec.subresources`, `spec.additionalPrinterColumns`); the paths here
//! follow that.

use apimachinery::field::FieldError;
use apimachinery::validation::{dns1035_label, dns1123_subdomain};
use serde_json::{Value, json};

use super::conditions;
use crate::schema::structural;

const SCOPES: [&str; 2] = ["Cluster", "Namespaced"];
const COLUMN_TYPES: &str = "boolean,date,integer,number,string";
const COLUMN_FORMATS: &str = "byte,date,date-time,double,float,int32,int64,password";

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

/// Every error of a CRD; `old` is the stored CRD on an update.
pub fn validate(crd: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let spec = &crd["spec"];
    let mut errors = Vec::new();
    let name = crd["metadata"]["name"].as_str().unwrap_or_default();
    let expected = format!("{}.{}", str_of(&spec["names"], "plural"), str_of(spec, "group"));
    if !name.is_empty() && name != expected {
        errors.push(FieldError::invalid("metadata.name", json!(name), "must be spec.names.plural+\".\"+spec.group"));
    }
    group(spec, &mut errors);
    match spec["scope"].as_str() {
        None | Some("") => errors.push(FieldError::required("spec.scope", "")),
        Some(scope) if !SCOPES.contains(&scope) => {
            errors.push(FieldError::not_supported("spec.scope", json!(scope), &SCOPES))
        }
        Some(_) => {}
    }
    versions(spec, &mut errors);
    names(&spec["names"], "spec.names", true, &mut errors);
    conversion(&spec["conversion"], &mut errors);
    if spec["preserveUnknownFields"] == Value::Bool(true) {
        errors.push(FieldError::invalid(
            "spec.preserveUnknownFields",
            json!(true),
            "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
        ));
    }
    if let Some(old) = old {
        immutable(crd, old, &mut errors);
    }
    errors
}

fn group(spec: &Value, errors: &mut Vec<FieldError>) {
    let group = str_of(spec, "group");
    if group.is_empty() {
        errors.push(FieldError::required("spec.group", ""));
        return;
    }
    let messages = dns1123_subdomain(group);
    if !messages.is_empty() {
        errors.push(FieldError::invalid("spec.group", json!(group), messages.join(",")));
    }
    if !group.contains('.') {
        errors.push(FieldError::invalid("spec.group", json!(group), "should be a domain with at least one dot"));
    }
}

/// Where a per-version member is reported: at the top when every version
/// has the same value (upstream's internal form), else per version.
fn hoisted<'a>(versions: &'a [Value], pointer: &str) -> Option<&'a Value> {
    let first = versions.first()?.pointer(pointer);
    versions.iter().all(|v| v.pointer(pointer) == first).then_some(first).flatten()
}

fn versions(spec: &Value, errors: &mut Vec<FieldError>) {
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    let mut seen = Vec::new();
    let mut unique = true;
    for (i, version) in versions.iter().enumerate() {
        let name = str_of(version, "name");
        if seen.contains(&name) {
            unique = false;
        }
        seen.push(name);
        let messages = dns1035_label(name);
        if !messages.is_empty() {
            errors.push(FieldError::invalid(format!("spec.versions[{i}].name"), json!(name), messages.join(",")));
        }
        if version["deprecationWarning"].is_string() && version["deprecated"] != Value::Bool(true) {
            errors.push(FieldError::invalid(
                format!("spec.versions[{i}].deprecationWarning"),
                version["deprecationWarning"].clone(),
                "can only be set for deprecated versions",
            ));
        }
    }
    let shown = if versions.is_empty() { Value::Null } else { json!(versions) };
    if !unique {
        errors.push(FieldError::invalid("spec.versions", shown.clone(), "must contain unique version names"));
    }
    if versions.iter().filter(|v| v["storage"] == Value::Bool(true)).count() != 1 {
        errors.push(FieldError::invalid(
            "spec.versions",
            shown,
            "must have exactly one version marked as storage version",
        ));
    }
    let schema_top = hoisted(&versions, "/schema/openAPIV3Schema").is_some();
    let subresources_top = hoisted(&versions, "/subresources").is_some();
    let columns_top = hoisted(&versions, "/additionalPrinterColumns").is_some();
    let selectable_top = hoisted(&versions, "/selectableFields").is_some();
    for (i, version) in versions.iter().enumerate() {
        if schema_top && i > 0 {
            continue;
        }
        let at = |top: bool, top_path: &str, version_path: &str| {
            if top { top_path.to_string() } else { format!("spec.versions[{i}].{version_path}") }
        };
        let schema_path = at(schema_top, "spec.validation.openAPIV3Schema", "schema.openAPIV3Schema");
        match version.pointer("/schema/openAPIV3Schema") {
            Some(schema) => schema_errors(schema, &schema_path, version, errors),
            None => errors.push(FieldError::required(format!("spec.versions[{i}].schema.openAPIV3Schema"), "")),
        }
        if !subresources_top || i == 0 {
            let path = at(subresources_top, "spec.subresources", "subresources");
            subresources(version, &path, errors);
        }
        if !columns_top || i == 0 {
            let path = at(columns_top, "spec.additionalPrinterColumns", "additionalPrinterColumns");
            printer_columns(version, &path, errors);
        }
        if !selectable_top || i == 0 {
            let path = at(selectable_top, "spec.selectableFields", "selectableFields");
            selectable_fields(version, &path, errors);
        }
    }
}

fn schema_errors(schema: &Value, path: &str, version: &Value, errors: &mut Vec<FieldError>) {
    if schema["nullable"] == Value::Bool(true) {
        errors.push(FieldError::forbidden(format!("{path}.nullable"), "nullable cannot be true at the root"));
    }
    if version.pointer("/subresources/status").is_some()
        && let Some(kind) = schema["type"].as_str().filter(|t| *t != "object")
    {
        errors.push(FieldError::invalid(
            format!("{path}.type"),
            json!(kind),
            "only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled",
        ));
    }
    let mut found = standard(schema, path);
    found.extend(structural::check(schema, path));
    found.sort_by_key(ToString::to_string);
    found.dedup();
    errors.extend(found);
}

/// The OpenAPI rules every node obeys (upstream's specStandardValidator):
/// known types, supported list and map types, patterns that compile.
fn standard(schema: &Value, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    standard_node(schema, path, &mut errors);
    errors
}

fn standard_node(schema: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let Some(map) = schema.as_object() else { return };
    match map.get("type").and_then(Value::as_str) {
        Some("null") => {
            errors.push(FieldError::forbidden(
                format!("{path}.type"),
                "type cannot be set to null, use nullable as an alternative",
            ));
        }
        Some(kind) if !["", "array", "boolean", "integer", "number", "object", "string"].contains(&kind) => {
            errors.push(FieldError::not_supported(
                format!("{path}.type"),
                json!(kind),
                &["array", "boolean", "integer", "number", "object", "string"],
            ));
        }
        _ => {}
    }
    if map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(false)) {
        errors.push(FieldError::invalid(
            format!("{path}.x-kubernetes-preserve-unknown-fields"),
            json!(false),
            "must be true or undefined",
        ));
    }
    if let Some(pattern) = map.get("pattern").and_then(Value::as_str)
        && let Err(e) = crate::schema::formats::regex(pattern)
    {
        errors.push(FieldError::invalid(
            format!("{path}.pattern"),
            json!(pattern),
            format!("must be a valid regular expression, but isn't: {e}"),
        ));
    }
    if let Some(map_type) = map.get("x-kubernetes-map-type").and_then(Value::as_str)
        && !["atomic", "granular"].contains(&map_type)
    {
        errors.push(FieldError::not_supported(
            format!("{path}.x-kubernetes-map-type"),
            json!(map_type),
            &["atomic", "granular"],
        ));
    }
    if map.contains_key("x-kubernetes-list-type") && map.get("type").and_then(Value::as_str) != Some("array") {
        errors
            .push(FieldError::required(format!("{path}.type"), "must be array if x-kubernetes-list-type is specified"));
    }
    for (i, rule) in map.get("x-kubernetes-validations").and_then(Value::as_array).into_iter().flatten().enumerate() {
        rule_errors(rule, &format!("{path}.x-kubernetes-validations[{i}]"), errors);
    }
    if let Some(Value::Object(properties)) = map.get("properties") {
        for (name, child) in properties {
            standard_node(child, &format!("{path}.properties[{name}]"), errors);
        }
    }
    if let Some(items) = map.get("items") {
        standard_node(items, &format!("{path}.items"), errors);
    }
    if let Some(additional) = map.get("additionalProperties").filter(|a| a.is_object()) {
        standard_node(additional, &format!("{path}.additionalProperties"), errors);
    }
}

const RULE_REASONS: [&str; 4] =
    ["FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"];

fn rule_errors(rule: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let text = str_of(rule, "rule");
    if text.trim().is_empty() {
        errors.push(FieldError::required(format!("{path}.rule"), "rule is not specified"));
    } else if let Err(e) = kube_cel::cel::Program::compile(text) {
        errors.push(FieldError::invalid(format!("{path}.rule"), rule.clone(), format!("compilation failed: {e}")));
    }
    if let Some(message) = rule["message"].as_str() {
        if message.trim().is_empty() {
            errors.push(FieldError::invalid(
                format!("{path}.message"),
                json!(message),
                "must be non-empty if specified",
            ));
        } else if message.contains('\n') {
            errors.push(FieldError::invalid(format!("{path}.message"), json!(message), "must not contain line breaks"));
        }
    }
    if text.contains('\n') && rule["message"].as_str().is_none_or(str::is_empty) {
        errors.push(FieldError::required(
            format!("{path}.message"),
            "message must be specified if rule contains line breaks",
        ));
    }
    if let Some(expression) = rule["messageExpression"].as_str() {
        if expression.trim().is_empty() {
            errors.push(FieldError::required(
                format!("{path}.messageExpression"),
                "messageExpression must be non-empty if specified",
            ));
        } else if let Err(e) = kube_cel::cel::Program::compile(expression) {
            errors.push(FieldError::invalid(
                format!("{path}.messageExpression"),
                rule.clone(),
                format!("messageExpression compilation failed: {e}"),
            ));
        }
    }
    if let Some(reason) = rule["reason"].as_str()
        && !RULE_REASONS.contains(&reason)
    {
        errors.push(FieldError::not_supported(format!("{path}.reason"), json!(reason), &RULE_REASONS));
    }
}

fn subresources(version: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let Some(scale) = version.pointer("/subresources/scale") else { return };
    let path = format!("{path}.scale");
    for (field, under) in [("specReplicasPath", ".spec"), ("statusReplicasPath", ".status")] {
        match scale[field].as_str() {
            None | Some("") => errors.push(FieldError::required(format!("{path}.{field}"), "")),
            Some(p) if !p.starts_with(&format!("{under}.")) => errors.push(FieldError::invalid(
                format!("{path}.{field}"),
                json!(p),
                format!("should be a json path under {under}"),
            )),
            Some(_) => {}
        }
    }
    if let Some(selector) = scale["labelSelectorPath"].as_str()
        && !selector.starts_with(".spec.")
        && !selector.starts_with(".status.")
    {
        errors.push(FieldError::invalid(
            format!("{path}.labelSelectorPath"),
            json!(selector),
            "should be a json path under either .spec or .status",
        ));
    }
}

fn printer_columns(version: &Value, path: &str, errors: &mut Vec<FieldError>) {
    for (i, column) in version["additionalPrinterColumns"].as_array().into_iter().flatten().enumerate() {
        let at = format!("{path}[{i}]");
        if str_of(column, "name").is_empty() {
            errors.push(FieldError::required(format!("{at}.name"), ""));
        }
        match column["type"].as_str() {
            None | Some("") => {
                errors.push(FieldError::required(format!("{at}.type"), format!("must be one of {COLUMN_TYPES}")))
            }
            Some(kind) if !COLUMN_TYPES.split(',').any(|t| t == kind) => errors.push(FieldError::invalid(
                format!("{at}.type"),
                json!(kind),
                format!("must be one of {COLUMN_TYPES}"),
            )),
            Some(_) => {}
        }
        if let Some(format) = column["format"].as_str().filter(|f| !f.is_empty())
            && !COLUMN_FORMATS.split(',').any(|f| f == format)
        {
            errors.push(FieldError::invalid(
                format!("{at}.format"),
                json!(format),
                format!("must be one of {COLUMN_FORMATS}"),
            ));
        }
        match column["jsonPath"].as_str() {
            None | Some("") => errors.push(FieldError::required(format!("{at}.JSONPath"), "")),
            Some(p) if !p.starts_with('.') => errors.push(FieldError::invalid(
                format!("{at}.JSONPath"),
                json!(p),
                "must be a simple json path starting with .",
            )),
            Some(_) => {}
        }
    }
}

fn selectable_fields(version: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let fields = version["selectableFields"].as_array().cloned().unwrap_or_default();
    if fields.len() > 8 {
        errors.push(FieldError::too_many(path, fields.len(), 8));
    }
    let mut seen = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let at = format!("{path}[{i}].jsonPath");
        let json_path = str_of(field, "jsonPath");
        if json_path.is_empty() {
            errors.push(FieldError::required(at, ""));
            continue;
        }
        if json_path.starts_with(".metadata") {
            errors.push(FieldError::invalid(at.clone(), json!(json_path), "must not point to fields in metadata"));
        }
        let schema = version.pointer("/schema/openAPIV3Schema").unwrap_or(&Value::Null);
        let kind = json_path
            .trim_start_matches('.')
            .split('.')
            .try_fold(schema, |node, key| node.get("properties").and_then(|p| p.get(key)))
            .and_then(|node| node["type"].as_str());
        match kind {
            Some("string" | "boolean" | "integer") => {}
            Some(_) => errors.push(FieldError::invalid(
                at.clone(),
                json!(json_path),
                "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.",
            )),
            None => errors.push(FieldError::invalid(
                at.clone(),
                json!(json_path),
                "is an invalid path: does not refer to a valid field",
            )),
        }
        if seen.contains(&json_path) {
            errors.push(FieldError::duplicate(at, json!(json_path)));
        }
        seen.push(json_path);
    }
}

/// spec.names (or status.acceptedNames): DNS-1035 labels, kinds that only
/// differ in case.
fn names(names: &Value, path: &str, required: bool, errors: &mut Vec<FieldError>) {
    for field in ["plural", "singular"] {
        let value = str_of(names, field);
        if value.is_empty() {
            if required {
                errors.push(FieldError::required(format!("{path}.{field}"), ""));
            }
            continue;
        }
        let messages = dns1035_label(value);
        if !messages.is_empty() {
            errors.push(FieldError::invalid(format!("{path}.{field}"), json!(value), messages.join(",")));
        }
    }
    for field in ["shortNames", "categories"] {
        for (i, value) in names[field].as_array().into_iter().flatten().enumerate() {
            let value = value.as_str().unwrap_or_default();
            let messages = dns1035_label(value);
            if !messages.is_empty() {
                errors.push(FieldError::invalid(format!("{path}.{field}[{i}]"), json!(value), messages.join(",")));
            }
        }
    }
    for field in ["kind", "listKind"] {
        let value = str_of(names, field);
        if value.is_empty() {
            if required {
                errors.push(FieldError::required(format!("{path}.{field}"), ""));
            }
            continue;
        }
        let messages = dns1035_label(&value.to_lowercase());
        if !messages.is_empty() {
            errors.push(FieldError::invalid(
                format!("{path}.{field}"),
                json!(value),
                format!("may have mixed case, but should otherwise match: {}", messages.join(",")),
            ));
        }
    }
    let kind = str_of(names, "kind");
    if !kind.is_empty() && kind == str_of(names, "listKind") {
        errors.push(FieldError::invalid(
            format!("{path}.listKind"),
            json!(kind),
            "kind and listKind may not be the same",
        ));
    }
}

fn conversion(conversion: &Value, errors: &mut Vec<FieldError>) {
    let webhook = &conversion["webhook"];
    match conversion["strategy"].as_str() {
        None | Some("") => errors.push(FieldError::required("spec.conversion.strategy", "")),
        Some("None") => {
            if !webhook["clientConfig"].is_null() {
                errors.push(FieldError::forbidden(
                    "spec.conversion.webhookClientConfig",
                    "should not be set when strategy is not set to Webhook",
                ));
            }
            if !webhook["conversionReviewVersions"].is_null() {
                errors.push(FieldError::forbidden(
                    "spec.conversion.conversionReviewVersions",
                    "should not be set when strategy is not set to Webhook",
                ));
            }
        }
        Some("Webhook") => webhook_conversion(webhook, errors),
        Some(other) => {
            errors.push(FieldError::not_supported("spec.conversion.strategy", json!(other), &["None", "Webhook"]))
        }
    }
}

fn webhook_conversion(webhook: &Value, errors: &mut Vec<FieldError>) {
    let config = &webhook["clientConfig"];
    let path = "spec.conversion.webhookClientConfig";
    if config.is_null() {
        errors.push(FieldError::required(path, "required when strategy is set to Webhook"));
    } else {
        match (config["url"].as_str(), config["service"].is_object()) {
            (Some(_), true) | (None, false) => {
                errors.push(FieldError::required(path, "exactly one of url or service is required"))
            }
            (Some(url), false) => url_errors(url, &format!("{path}.url"), errors),
            (None, true) => {
                let service = &config["service"];
                for field in ["name", "namespace"] {
                    if str_of(service, field).is_empty() {
                        errors.push(FieldError::required(format!("{path}.service.{field}"), ""));
                    }
                }
                if let Some(p) = service["path"].as_str().filter(|p| !p.starts_with('/')) {
                    errors.push(FieldError::invalid(format!("{path}.service.path"), json!(p), "must start with a '/'"));
                }
            }
        }
    }
    let versions: Vec<&str> =
        webhook["conversionReviewVersions"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let path = "spec.conversion.conversionReviewVersions";
    if versions.is_empty() {
        errors.push(FieldError::required(path, ""));
    } else if !versions.iter().any(|v| *v == "v1" || *v == "v1beta1") {
        errors.push(FieldError::invalid(path, json!(versions), "must include at least one of v1, v1beta1"));
    }
}

fn url_errors(url: &str, path: &str, errors: &mut Vec<FieldError>) {
    let desired = "desired format: https://host[/path]";
    let Ok(uri) = url.parse::<http::Uri>() else {
        errors.push(FieldError::required(path, format!("url must be a valid URL: invalid URL; {desired}")));
        return;
    };
    if uri.scheme_str() != Some("https") {
        errors.push(FieldError::invalid(
            path,
            json!(url),
            format!("'https' is the only allowed URL scheme; {desired}"),
        ));
    }
    if uri.host().is_none_or(str::is_empty) {
        errors.push(FieldError::invalid(path, json!(url), format!("host must be specified; {desired}")));
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        errors.push(FieldError::invalid(path, json!(url), "user information is not permitted in the URL"));
    }
    if url.contains('#') {
        errors.push(FieldError::invalid(path, json!(url), "fragments are not permitted in the URL"));
    }
    if uri.query().is_some() {
        errors.push(FieldError::invalid(path, json!(url), "query parameters are not permitted in the URL"));
    }
}

/// What may not change: the group and plural always, the scope and kind
/// once the CRD is established.
fn immutable(crd: &Value, old: &Value, errors: &mut Vec<FieldError>) {
    let mut fixed = vec![("spec.group", "/spec/group"), ("spec.names.plural", "/spec/names/plural")];
    if conditions::is_true(old, conditions::ESTABLISHED) {
        fixed.push(("spec.scope", "/spec/scope"));
        fixed.push(("spec.names.kind", "/spec/names/kind"));
    }
    for (path, pointer) in fixed {
        let new = crd.pointer(pointer).cloned().unwrap_or(Value::Null);
        if Some(&new) != old.pointer(pointer) {
            errors.push(FieldError::invalid(path, new, "field is immutable"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd() -> Value {
        json!({
            "metadata": {"name": "crontabs.stable.example.com"},
            "spec": {
                "group": "stable.example.com",
                "scope": "Namespaced",
                "names": {"plural": "crontabs", "singular": "crontab", "kind": "CronTab", "listKind": "CronTabList"},
                "conversion": {"strategy": "None"},
                "versions": [{"name": "v1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object"}}}}}],
            },
        })
    }

    fn messages(crd: &Value) -> Vec<String> {
        validate(crd, None).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_valid_crd_passes() {
        assert_eq!(messages(&crd()), Vec::<String>::new());
    }

    #[test]
    fn names_group_and_scope_are_checked() {
        let mut bad = crd();
        bad["metadata"]["name"] = json!("crontab.stable.example.com");
        bad["spec"]["scope"] = json!("Global");
        bad["spec"]["versions"][0]["storage"] = json!(false);
        assert_eq!(
            messages(&bad)[..2],
            [
                "metadata.name: Invalid value: \"crontab.stable.example.com\": must be spec.names.plural+\".\"+spec.group",
                "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\"",
            ]
        );
        assert!(messages(&bad)[2].ends_with("must have exactly one version marked as storage version"));
    }

    #[test]
    fn a_single_versions_schema_is_reported_at_spec_validation() {
        let mut bad = crd();
        bad["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"] = json!({"properties": {}});
        assert_eq!(
            messages(&bad),
            [
                "spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields"
            ]
        );
    }
}
