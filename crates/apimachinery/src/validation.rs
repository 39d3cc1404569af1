//! Name, label and annotation validation with upstream's rules and messages
//! (`k8s.io/apimachinery/pkg/util/validation`).

use serde_json::{Map, Value, json};

use crate::field::FieldError;

const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUALIFIED_NAME_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
/// Upstream's limit on the total size of an object's annotations.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Checks an RFC 1123 label (namespaces, most names inside objects);
/// returns upstream's messages.
pub fn dns1123_label(s: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if s.len() > 63 {
        errors.push("must be no more than 63 characters".to_string());
    }
    if !is_dns1123_label(s) {
        errors.push(DNS1123_LABEL_MSG.to_string());
    }
    errors
}

/// Checks an RFC 1123 subdomain (most object names).
pub fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if s.len() > 253 {
        errors.push("must be no more than 253 characters".to_string());
    }
    if s.is_empty() || !s.split('.').all(is_dns1123_label) {
        errors.push(DNS1123_SUBDOMAIN_MSG.to_string());
    }
    errors
}

/// Checks an RFC 1035 label (service names).
pub fn dns1035_label(s: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if s.len() > 63 {
        errors.push("must be no more than 63 characters".to_string());
    }
    if !is_dns1123_label(s) || !s.as_bytes()[0].is_ascii_lowercase() {
        errors.push(DNS1035_LABEL_MSG.to_string());
    }
    errors
}

fn is_qualified_token(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Checks a qualified name (`prefix/name` or `name`): label and annotation
/// keys.
pub fn qualified_name(s: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let name = match s.split('/').collect::<Vec<_>>()[..] {
        [name] => name,
        [prefix, name] => {
            if prefix.is_empty() {
                errors.push("prefix part must be non-empty".to_string());
            } else {
                errors.extend(dns1123_subdomain(prefix).into_iter().map(|m| format!("prefix part {m}")));
            }
            name
        }
        _ => {
            errors.push(format!("a qualified name {QUALIFIED_NAME_MSG}").replace("name part must", "must"));
            return errors;
        }
    };
    if name.is_empty() {
        errors.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errors.push("name part must be no more than 63 characters".to_string());
    }
    if !name.is_empty() && !is_qualified_token(name) {
        errors.push(QUALIFIED_NAME_MSG.to_string());
    }
    errors
}

/// Checks a label value.
pub fn label_value(s: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if s.len() > 63 {
        errors.push("must be no more than 63 characters".to_string());
    }
    if !s.is_empty() && !is_qualified_token(s) {
        errors.push(LABEL_VALUE_MSG.to_string());
    }
    errors
}

fn invalid_each(path: &str, value: &str, messages: Vec<String>) -> Vec<FieldError> {
    messages.into_iter().map(|m| FieldError::invalid(path, json!(value), m)).collect()
}

/// How an object's name must look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// RFC 1123 subdomain (most kinds).
    Subdomain,
    /// RFC 1123 label (namespaces).
    Label,
    /// RFC 1035 label (services).
    Dns1035Label,
    /// A path segment: anything but `.`, `..` and names with `/` or `%`.
    PathSegment,
}

/// Validates `metadata`: name (or generateName), namespace presence, labels
/// and annotations, as upstream's ValidateObjectMeta does.
pub fn validate_object_meta(meta: &Map<String, Value>, namespaced: bool, rule: NameRule) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name = meta.get("name").and_then(Value::as_str).unwrap_or_default();
    if name.is_empty() {
        errors.push(FieldError::required("metadata.name", "name or generateName is required"));
    } else {
        let messages = match rule {
            NameRule::Subdomain => dns1123_subdomain(name),
            NameRule::Label => dns1123_label(name),
            NameRule::Dns1035Label => dns1035_label(name),
            NameRule::PathSegment => path_segment(name),
        };
        errors.extend(invalid_each("metadata.name", name, messages));
    }
    let namespace = meta.get("namespace").and_then(Value::as_str).unwrap_or_default();
    if namespaced && namespace.is_empty() {
        errors.push(FieldError::required("metadata.namespace", ""));
    } else if namespaced {
        errors.extend(invalid_each("metadata.namespace", namespace, dns1123_label(namespace)));
    } else if !namespace.is_empty() {
        errors.push(FieldError::forbidden("metadata.namespace", "not allowed on this type"));
    }
    if let Some(labels) = meta.get("labels").and_then(Value::as_object) {
        for (key, value) in labels {
            errors.extend(invalid_each("metadata.labels", key, qualified_name(key)));
            errors.extend(invalid_each(
                "metadata.labels",
                value.as_str().unwrap_or_default(),
                label_value(value.as_str().unwrap_or_default()),
            ));
        }
    }
    if let Some(annotations) = meta.get("annotations").and_then(Value::as_object) {
        let mut total = 0;
        for (key, value) in annotations {
            errors.extend(invalid_each(
                "metadata.annotations",
                &key.to_lowercase(),
                qualified_name(&key.to_lowercase()),
            ));
            total += key.len() + value.as_str().map_or(0, str::len);
        }
        if total > TOTAL_ANNOTATION_SIZE_LIMIT {
            errors.push(FieldError::too_long("metadata.annotations", TOTAL_ANNOTATION_SIZE_LIMIT));
        }
    }
    errors
}

/// Checks a name used as one path segment.
pub fn path_segment(s: &str) -> Vec<String> {
    if s == "." || s == ".." {
        return vec![format!("may not be '{s}'")];
    }
    ["/", "%"].iter().filter(|bad| s.contains(**bad)).map(|bad| format!("may not contain '{bad}'")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1123() {
        assert!(dns1123_subdomain("my-app.example").is_empty());
        assert!(!dns1123_subdomain("Bad_Name").is_empty());
        assert!(!dns1123_label("a.b").is_empty());
        assert!(!dns1035_label("1abc").is_empty());
        assert_eq!(dns1123_subdomain(&"a".repeat(254))[0], "must be no more than 253 characters");
    }

    #[test]
    fn object_meta_errors_carry_upstream_paths() {
        let meta = json!({"name": "Bad_Name", "labels": {"ok": "fine", "bad key!": "v"}});
        let errors = validate_object_meta(meta.as_object().unwrap(), true, NameRule::Subdomain);
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["metadata.name", "metadata.namespace", "metadata.labels"]);
        assert!(
            errors[0]
                .to_string()
                .starts_with("metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain")
        );
        assert_eq!(errors[1].to_string(), "metadata.namespace: Required value");
    }
}
